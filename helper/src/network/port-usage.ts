// Which host ports something already listens on (`ss -Hlntu`), so a port forward never
// silently steals a port from a running service.
import type { Protocol } from '../../../src-shared/network.js';
import { runCommand, type CommandRunner } from './command-runner.js';
import { listListeningSockets } from './network-commands.js';

/** "8080/tcp" keys from ss output lines: "tcp LISTEN 0 511 0.0.0.0:8080 0.0.0.0:*". */
export function parseListeningPorts(text: string): Set<string> {
  const used = new Set<string>();
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/);
    const proto = fields[0];
    const local = fields[4];
    if ((proto !== 'tcp' && proto !== 'udp') || !local) continue;
    const port = local.slice(local.lastIndexOf(':') + 1);
    if (/^\d+$/.test(port)) used.add(`${port}/${proto}`);
  }
  return used;
}

export async function listeningPorts(runner: CommandRunner, signal?: AbortSignal): Promise<Set<string>> {
  const r = await runCommand(runner, listListeningSockets(), signal);
  return r.exitCode === 0 ? parseListeningPorts(r.stdout) : new Set();
}

export function portKey(port: number, protocol: Protocol): string {
  return `${port}/${protocol}`;
}
