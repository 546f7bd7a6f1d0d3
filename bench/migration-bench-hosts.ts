// Two test hosts for the migration benchmark: network namespaces joined by a veth pair,
// each running the built helper on its own state dir. The caller's side talks to both
// over their sockets (the SSH hop carries only the few control calls, not the streams).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HelperClient } from '../src-main/core/helper-client.js';
import { waitForSocket } from './bench-harness.js';
import { killMentioning } from './vm-bench-fixture.js';

const PREFIX = 'nv6mb';
export const ADDRESSES = { a: '10.216.7.1', b: '10.216.7.2' } as const;
export type Side = keyof typeof ADDRESSES;

export interface BenchHost {
  side: Side;
  netns: string;
  address: string;
  dir: string;
  client: HelperClient;
}

export class MigrationBenchHosts {
  private readonly helpers: ChildProcess[] = [];
  readonly hosts = {} as Record<Side, BenchHost>;

  private constructor(readonly dir: string) {}

  static async start(allowedRoots: string[]): Promise<MigrationBenchHosts> {
    const bench = new MigrationBenchHosts(await mkdtemp(join(tmpdir(), `${PREFIX}-`)));
    try {
      await bench.setUp(allowedRoots);
    } catch (err) {
      await bench.cleanup();
      throw err;
    }
    return bench;
  }

  /** Runs `argv` inside a side's namespace (only its network: files and processes are shared). */
  inNetns(side: Side, argv: string[]): string[] {
    return ['nsenter', `--net=/run/netns/${this.hosts[side]?.netns ?? `${PREFIX}${side}`}`, ...argv];
  }

  private async setUp(allowedRoots: string[]): Promise<void> {
    for (const side of ['a', 'b'] as const) {
      ip('netns', 'add', `${PREFIX}${side}`);
      ip('-n', `${PREFIX}${side}`, 'link', 'set', 'lo', 'up');
    }
    ip('-n', `${PREFIX}a`, 'link', 'add', `${PREFIX}a0`, 'type', 'veth', 'peer', 'name', `${PREFIX}b0`, 'netns', `${PREFIX}b`);
    for (const side of ['a', 'b'] as const) {
      ip('-n', `${PREFIX}${side}`, 'addr', 'add', `${ADDRESSES[side]}/30`, 'dev', `${PREFIX}${side}0`);
      ip('-n', `${PREFIX}${side}`, 'link', 'set', `${PREFIX}${side}0`, 'up');
      const dir = join(this.dir, side);
      await mkdir(dir);
      const socket = join(dir, 'helper.sock');
      const roots = [...allowedRoots, this.dir].flatMap((r) => ['--allowed-root', r]);
      const helper = spawn('nsenter', [`--net=/run/netns/${PREFIX}${side}`, process.execPath, 'out/helper/nova-helper.mjs', '--socket', socket, '--state-dir', join(dir, 'state'), '--log-level', 'warn', ...roots], { stdio: 'ignore' });
      this.helpers.push(helper);
      await waitForSocket(socket);
      const client = new HelperClient({ socketPath: socket, reconnect: false });
      client.start();
      await client.waitForConnection();
      this.hosts[side] = { side, netns: `${PREFIX}${side}`, address: ADDRESSES[side], dir, client };
    }
  }

  async cleanup(): Promise<void> {
    for (const h of Object.values(this.hosts)) h.client.close();
    for (const helper of this.helpers) {
      helper.kill('SIGTERM');
      await new Promise((r) => (helper.exitCode !== null ? r(null) : helper.once('exit', r)));
    }
    await killMentioning(this.dir);
    for (const side of ['a', 'b']) {
      try {
        ip('netns', 'del', `${PREFIX}${side}`);
      } catch {
        // never made
      }
    }
    await rm(this.dir, { recursive: true, force: true });
  }
}

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 15_000 });
}
