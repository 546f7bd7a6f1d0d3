// What every CLI command receives: its output streams, the global flags, and a way
// to reach the helper (starting it when nothing answers, as the app does).
import { fileURLToPath } from 'node:url';
import type { SshHostAddress } from '../../src-shared/vocabulary/index.js';
import { HelperClient } from '../core/helper-client.js';
import { ensureHelper } from '../core/helper-launcher.js';
import { HostRegistry } from '../core/hosts/host-registry.js';
import { remoteHelperClient } from '../core/hosts/remote-helper.js';
import { sshOptionsFromEnv } from '../core/hosts/ssh-command.js';

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

export interface GlobalOptions {
  socket: string;
  stateDir: string;
  json: boolean;
  autostart: boolean;
  /** `--host`: a registered name or an ssh:// address; absent or `local`: this machine. */
  host?: string;
}

export interface CliContext {
  io: CliIo;
  globals: () => GlobalOptions;
  /** A connected helper client; the caller closes it. */
  connectHelper: () => Promise<HelperClient>;
  /** The helper of a given host (a saved name, an ssh:// address, or "local"); the caller closes it. Absent: connectHelper for every host. */
  connectHost?: (host: string) => Promise<HelperClient>;
}

/** Runs `work` with a connected helper client, closed afterwards whatever happens. */
export async function withHelper<T>(ctx: CliContext, work: (h: HelperClient) => Promise<T>): Promise<T> {
  const h = await ctx.connectHelper();
  try {
    return await work(h);
  } finally {
    h.close();
  }
}

/** The bundled helper beside the bundled CLI (out/cli/nova.mjs -> out/helper/nova-helper.mjs). */
export function bundledHelperScript(): string {
  return fileURLToPath(new URL('../helper/nova-helper.mjs', import.meta.url));
}

export function realConnectHelper(globals: () => GlobalOptions): () => Promise<HelperClient> {
  return async () => {
    const g = globals();
    const address = g.host === undefined ? null : await new HostRegistry().resolve(g.host);
    if (address?.kind === 'ssh') return connectRemote(address);
    if (g.autostart) {
      await ensureHelper({ socketPath: g.socket, stateDir: g.stateDir, helperScript: bundledHelperScript() });
    }
    const client = new HelperClient({ socketPath: g.socket, reconnect: false, connectWaitMs: 3000 });
    client.start();
    try {
      await client.waitForConnection();
    } catch (err) {
      client.close();
      throw err;
    }
    return client;
  };
}

/** The helper of another host through `ssh HOST nova connect`; prompts only on a terminal. */
function connectRemote(address: SshHostAddress): HelperClient {
  const client = remoteHelperClient(address, sshOptionsFromEnv(process.env, process.stdin.isTTY !== true));
  client.start();
  return client;
}

/** Writes a command's answer to stdout as one or more whole lines. */
export function outFn(ctx: CliContext): (text: string) => void {
  return (text) => ctx.io.stdout(text.endsWith('\n') ? text : text + '\n');
}
