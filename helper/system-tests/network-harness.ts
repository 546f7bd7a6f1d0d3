// The netns lab for network system tests: test hosts, guests, routers and LANs are
// network namespaces named nv8n<tag>…, joined by veths. Everything the lab (or a
// NetworkManager pointed at it) creates is removed in cleanup(), even after a failure.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { NetworkManager, type NetworkManagerOptions } from '../src/network/network-manager.js';
import { ProcessRunner } from '../src/process/process-runner.js';
import { mentioning, processesMatching } from './fixtures/frozen-child.js';

export const PREFIX = 'nv8n';
const EXEC_TIMEOUT_MS = 20_000;

export interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

// A tiny TCP server for guests: answers every connection with the peer's address
// ("who am I to you"), so a test sees masquerade and port forwards from both ends.
const ECHO_SERVER = `
const net = require('node:net');
const srv = net.createServer((s) => { s.end(String(s.remoteAddress).replace('::ffff:', '') + '\\n'); });
srv.listen(Number(process.argv[1]), process.argv[2] || '0.0.0.0', () => process.stdout.write('ready\\n'));
`;
const TCP_CLIENT = `
const net = require('node:net');
const s = net.connect({ host: process.argv[1], port: Number(process.argv[2]) });
let data = '';
const t = setTimeout(() => { process.stdout.write('timeout'); process.exit(2); }, Number(process.argv[3] || 1500));
s.on('data', (d) => (data += d));
s.on('end', () => { clearTimeout(t); process.stdout.write(data.trim()); process.exit(0); });
s.on('error', (e) => { clearTimeout(t); process.stdout.write('error ' + e.code); process.exit(1); });
`;
// udhcpc calls this with the lease in its environment; it sets the address and route.
const UDHCPC_SCRIPT = `#!/bin/sh
case "$1" in
  bound|renew)
    ip addr flush dev "$interface"
    ip addr add "$ip/$mask" dev "$interface"
    if [ -n "$router" ]; then ip route replace default via "\${router%% *}" dev "$interface"; fi
    ;;
esac
exit 0
`;

export class NetnsLab {
  readonly namespaces: string[] = [];
  private readonly children: ChildProcess[] = [];
  readonly dir: string;
  private udhcpcScript = '';

  private constructor(
    dir: string,
    /** Short tag in every name, so test files never collide (nv8n<tag>...). */
    readonly tag: string,
    /** The test area's prefix, first in every name, the temp dir and the nft table. */
    readonly prefix: string = PREFIX,
  ) {
    this.dir = dir;
  }

  static async create(tag: string, prefix = PREFIX): Promise<NetnsLab> {
    const dir = await mkdtemp(join(tmpdir(), `${prefix}${tag}-`));
    // dnsmasq drops to an unprivileged user and must still read its files here.
    await chmod(dir, 0o755);
    const lab = new NetnsLab(dir, tag, prefix);
    lab.udhcpcScript = join(dir, 'udhcpc.sh');
    await writeFile(lab.udhcpcScript, UDHCPC_SCRIPT, { mode: 0o755 });
    return lab;
  }

  /** nv8n<tag><role>: interface-safe when role is short. */
  name(role: string): string {
    const n = `${this.prefix}${this.tag}${role}`;
    if (n.length > 15) throw new Error(`test name ${n} is longer than 15 characters`);
    return n;
  }

  async netns(role: string): Promise<string> {
    const ns = this.name(role);
    await run(['ip', 'netns', 'add', ns]);
    this.namespaces.push(ns);
    await run(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
    return ns;
  }

  /** A veth between two of our namespaces, with optional addresses, both ends up. */
  async veth(a: { ns: string; ifname: string; address?: string }, b: { ns: string; ifname: string; address?: string }): Promise<void> {
    await run(['ip', '-n', a.ns, 'link', 'add', a.ifname, 'type', 'veth', 'peer', 'name', b.ifname, 'netns', b.ns]);
    for (const end of [a, b]) {
      if (end.address) await run(['ip', '-n', end.ns, 'addr', 'add', end.address, 'dev', end.ifname]);
      await run(['ip', '-n', end.ns, 'link', 'set', end.ifname, 'up']);
    }
  }

  async exec(ns: string, argv: readonly string[], opts: { timeoutMs?: number; input?: string } = {}): Promise<CommandResult> {
    return run(['ip', 'netns', 'exec', ns, ...argv], { check: false, ...opts });
  }

  manager(hostNs: string, role: string, extra: Partial<NetworkManagerOptions> = {}): NetworkManager {
    return new NetworkManager({
      // Siblings, not nested under a 0700 state dir: dnsmasq must read its run dir.
      stateDir: join(this.dir, `${role}-state`),
      runDir: join(this.dir, `${role}-run`),
      runner: new ProcessRunner().inNetns(hostNs),
      nftTable: `${this.prefix}nova`,
      ifPrefix: this.prefix,
      upstreamDns: false,
      ...extra,
    });
  }

  /** Runs udhcpc in a guest; resolves to the leased address or throws with its output. */
  async dhcp(ns: string, ifname = 'eth0'): Promise<string> {
    const r = await this.exec(ns, ['busybox', 'udhcpc', '-i', ifname, '-n', '-q', '-f', '-t', '8', '-T', '1', '-A', '1', '-s', this.udhcpcScript], {
      timeoutMs: 20_000,
    });
    const addr = await run(['ip', '-n', ns, '-4', '-json', 'addr', 'show', 'dev', ifname]);
    const parsed = JSON.parse(addr.stdout) as Array<{ addr_info: Array<{ local: string }> }>;
    const local = parsed[0]?.addr_info[0]?.local;
    if (r.exitCode !== 0 || !local) throw new Error(`udhcpc in ${ns} got no lease (exit ${r.exitCode}): ${r.stdout}${r.stderr}`);
    return local;
  }

  async ping(ns: string, address: string): Promise<boolean> {
    const r = await this.exec(ns, ['ping', '-n', '-q', '-c', '1', '-W', '1', address], { timeoutMs: 5_000 });
    return r.exitCode === 0;
  }

  /** Pings until one answer arrives (a new bridge port or ARP may need a moment), bounded. */
  async pingWithin(ns: string, address: string, ms = 5_000): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) if (await this.ping(ns, address)) return true;
    return false;
  }

  /** Addresses a name resolves to through `server`. */
  async resolve(ns: string, name: string, server: string): Promise<string[]> {
    const r = await this.exec(ns, ['busybox', 'nslookup', name, server], { timeoutMs: 8_000 });
    const after = r.stdout.split(/\nName:\s*/).slice(1).join('\n');
    return [...after.matchAll(/Address(?: \d+)?:\s*([0-9.]+)/g)].map((m) => m[1] as string);
  }

  /** A TCP server in a namespace answering each connection with the peer's address. */
  async tcpServer(ns: string, port: number, bind = '0.0.0.0'): Promise<void> {
    const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', ECHO_SERVER, String(port), bind], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.children.push(child);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`tcp server in ${ns}:${port} not ready within 10 s`)), 10_000);
      let err = '';
      child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
      child.stdout?.on('data', (d: Buffer) => {
        if (d.toString().includes('ready')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`tcp server in ${ns}:${port} exited (${code}): ${err}`));
      });
    });
  }

  /** What the server said (the address it saw us as), or "timeout" / "error CODE". */
  async tcpConnect(ns: string, host: string, port: number, timeoutMs = 1500): Promise<string> {
    const r = await this.exec(ns, [process.execPath, '-e', TCP_CLIENT, host, String(port), String(timeoutMs)], { timeoutMs: timeoutMs + 10_000 });
    return r.stdout.trim();
  }

  /** A foreground process of our own (a LAN's DHCP server); killed in cleanup. */
  daemon(ns: string, argv: readonly string[]): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', ns, ...argv], { stdio: 'ignore' });
    this.children.push(child);
    return child;
  }

  async cleanup(): Promise<void> {
    for (const child of this.children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    // dnsmasq instances started by a NetworkManager daemonize; each names a config in our dir.
    for (const pid of await pidsMentioning(this.dir)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
    for (const ns of this.namespaces.reverse()) await run(['ip', 'netns', 'del', ns], { check: false });
    await rm(this.dir, { recursive: true, force: true });
  }
}

async function run(argv: readonly string[], opts: { check?: boolean; timeoutMs?: number; input?: string } = {}): Promise<CommandResult> {
  const [file, ...args] = argv as [string, ...string[]];
  const r = await execa(file, args, {
    reject: false,
    timeout: opts.timeoutMs ?? EXEC_TIMEOUT_MS,
    input: opts.input,
    stdin: opts.input === undefined ? 'ignore' : 'pipe',
  });
  const result = { exitCode: r.exitCode ?? 1, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') };
  if (opts.check !== false && result.exitCode !== 0) throw new Error(`${argv.join(' ')} failed: ${result.stderr}`);
  return result;
}

/** Pids whose command line mentions `text` (our temp dir): only processes this lab caused. */
export function pidsMentioning(text: string): Promise<number[]> {
  return processesMatching(mentioning(text));
}

/** SIGKILLs what a failed test left running from its temp dir (QEMUs, dnsmasq); one already gone is fine. */
export async function killPidsMentioning(text: string): Promise<void> {
  for (const pid of await pidsMentioning(text)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
}

/** Nova's view of a host namespace, for "nothing left behind" checks. */
export async function snapshotHost(lab: NetnsLab, ns: string, stateDir: string): Promise<{ links: string[]; tables: string; state: string[] }> {
  const links = await lab.exec(ns, ['ip', '-o', 'link', 'show']);
  const tables = await lab.exec(ns, ['nft', 'list', 'ruleset']);
  const state = await readdir(join(stateDir, 'networks')).catch(() => [] as string[]);
  return {
    links: links.stdout
      .split('\n')
      .map((l) => /^\d+:\s+([^:@]+)/.exec(l)?.[1] ?? '')
      .filter(Boolean)
      .sort(),
    tables: tables.stdout,
    state: state.sort(),
  };
}
