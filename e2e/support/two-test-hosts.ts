// Two test hosts for the remote-host specs, each a Nova stack (helper in its own network
// namespace) joined by a veth pair in a /30 of the spec's own (TwoHostsLayout). The second
// runs sshd (host key, client key and config made here, the key pinned to `nova connect` as
// on a real host); the first runs `nova web` and, through a wrapper, Chromium in its
// namespace, with the second saved as `PREFIX-closet` and an ssh config naming the test's
// key and known_hosts.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, BrowserType } from '@playwright/test';
import { execa } from 'execa';
import { CHROMIUM_ARGS } from './fixtures.js';
import { NovaStack, type NovaStackInfo } from './nova-stack.js';

/** Names and addresses of one pair: each spec that runs a pair has its own. */
export interface TwoHostsLayout {
  readonly prefix: string;
  readonly firstAddress: string;
  readonly secondAddress: string;
  readonly sshPort: number;
  /** More environment for the first host's `nova web`, e.g. the DISPLAY remote-viewer opens on. */
  readonly webEnv?: Readonly<Record<string, string>>;
}

/** The layout remote-hosts.spec.ts runs its pair with (and the default). */
export const REMOTE_HOSTS_LAYOUT: TwoHostsLayout = { prefix: 'nv6u', firstAddress: '10.217.6.1', secondAddress: '10.217.6.2', sshPort: 2222 };
export const REMOTE_NAME = remoteName(REMOTE_HOSTS_LAYOUT);
const SSHD_START_MS = 15_000;

/** The name the first host saved the second under. */
export function remoteName(layout: TwoHostsLayout): string {
  return `${layout.prefix}-closet`;
}

export class TwoTestHosts {
  first: NovaStackInfo | null = null;
  second: NovaStackInfo | null = null;
  private firstStack: NovaStack | null = null;
  private secondStack: NovaStack | null = null;
  private sshd: ChildProcess | null = null;

  private constructor(
    readonly dir: string,
    private readonly repoRoot: string,
    private readonly artifactsDir: string,
    readonly layout: TwoHostsLayout,
  ) {}

  static async start(repoRoot: string, artifactsDir: string, rendererDir?: string, layout: TwoHostsLayout = REMOTE_HOSTS_LAYOUT): Promise<TwoTestHosts> {
    const hosts = new TwoTestHosts(await mkdtemp(join(tmpdir(), `${layout.prefix}-hosts-`)), repoRoot, artifactsDir, layout);
    try {
      await hosts.setUp(rendererDir);
    } catch (err) {
      await hosts.stop();
      throw err;
    }
    return hosts;
  }

  /** Chromium in the first host's namespace: Playwright's pipe survives `nsenter`'s exec. */
  get chromium(): string {
    return join(this.dir, 'chromium-first-host');
  }

  /**
   * A spec's browser, run where the first host's web server is (in its namespace), with a
   * profile in the pair's folder; closed and removed after `use`.
   */
  async withBrowser(chromium: BrowserType, options: Pick<NonNullable<Parameters<BrowserType['launchPersistentContext']>[1]>, 'colorScheme' | 'viewport'>, use: (context: BrowserContext) => Promise<void>): Promise<void> {
    const profile = join(this.dir, 'chromium-profile');
    const context = await chromium.launchPersistentContext(profile, { ...options, executablePath: this.chromium, headless: true, args: CHROMIUM_ARGS, timeout: 30_000 });
    try {
      await use(context);
    } finally {
      await context.close().catch(() => {});
      await rm(profile, { recursive: true, force: true });
    }
  }

  private async setUp(rendererDir: string | undefined): Promise<void> {
    const { dir } = this;
    const { prefix, firstAddress, secondAddress, sshPort } = this.layout;
    await chmod(dir, 0o755);
    const config = join(dir, 'config');
    await mkdir(join(config, 'nova'), { recursive: true, mode: 0o700 });
    await writeFile(join(config, 'nova', 'hosts.json'), JSON.stringify({ version: 1, hosts: { [remoteName(this.layout)]: `ssh://root@${secondAddress}:${sshPort}` } }));
    this.secondStack = new NovaStack({ repoRoot: this.repoRoot, artifactsDir: this.artifactsDir, name: `${prefix}-second`, rendererDir });
    this.second = await this.secondStack.start();
    this.firstStack = new NovaStack({
      repoRoot: this.repoRoot,
      artifactsDir: this.artifactsDir,
      name: `${prefix}-first`,
      rendererDir,
      webInNetns: true,
      webEnv: { XDG_CONFIG_HOME: config, NOVA_SSH_CONFIG: join(dir, 'ssh_config'), NOVA_SSH_CONNECT_TIMEOUT: '5', ...this.layout.webEnv },
    });
    this.first = await this.firstStack.start();
    const a = this.first.netns;
    const b = this.second.netns;
    await run('ip', ['-n', a, 'link', 'add', `${prefix}a0`, 'type', 'veth', 'peer', 'name', `${prefix}b0`, 'netns', b]);
    await run('ip', ['-n', a, 'addr', 'add', `${firstAddress}/30`, 'dev', `${prefix}a0`]);
    await run('ip', ['-n', b, 'addr', 'add', `${secondAddress}/30`, 'dev', `${prefix}b0`]);
    await run('ip', ['-n', a, 'link', 'set', `${prefix}a0`, 'up']);
    await run('ip', ['-n', b, 'link', 'set', `${prefix}b0`, 'up']);

    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `${prefix}-host`, '-f', join(dir, 'host_key')]);
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `${prefix}-client`, '-f', join(dir, 'client_key')]);
    const clientKey = (await readFile(join(dir, 'client_key.pub'), 'utf8')).trim();
    const connect = [process.execPath, join(this.repoRoot, 'out/cli/nova.mjs'), '--socket', this.second.socket, '--state-dir', this.second.stateDir, '--no-autostart', 'connect'].join(' ');
    await writeFile(join(dir, 'authorized_keys'), `command="${connect}",restrict ${clientKey}\n`, { mode: 0o644 });
    await writeFile(join(dir, 'sshd_config'), [
      `Port ${sshPort}`,
      `ListenAddress ${secondAddress}`,
      `HostKey ${join(dir, 'host_key')}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no',
      '',
    ].join('\n'), { mode: 0o600 });
    const [type, key] = (await readFile(join(dir, 'host_key.pub'), 'utf8')).trim().split(/\s+/);
    await writeFile(join(dir, 'known_hosts'), `[${secondAddress}]:${sshPort} ${type} ${key}\n`, { mode: 0o600 });
    await writeFile(join(dir, 'ssh_config'), [
      'Host *',
      `  IdentityFile ${join(dir, 'client_key')}`,
      '  IdentitiesOnly yes',
      `  UserKnownHostsFile ${join(dir, 'known_hosts')}`,
      '  GlobalKnownHostsFile /dev/null',
      '  StrictHostKeyChecking yes',
      '',
    ].join('\n'), { mode: 0o600 });
    await writeFile(this.chromium, `#!/bin/sh\nexec nsenter --net=/run/netns/${a} /usr/bin/chromium "$@"\n`, { mode: 0o755 });
    await this.startSshd();
  }

  async startSshd(): Promise<void> {
    if (!this.second) throw new Error('the second host is not up');
    await mkdir('/run/sshd', { recursive: true, mode: 0o755 });
    const sshd = spawn('nsenter', [`--net=/run/netns/${this.second.netns}`, '/usr/sbin/sshd', '-D', '-e', '-f', join(this.dir, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.sshd = sshd;
    let said = '';
    sshd.stderr?.on('data', (d: Buffer) => (said += d.toString()));
    const deadline = Date.now() + SSHD_START_MS;
    while (!said.includes('Server listening') && sshd.exitCode === null) {
      if (Date.now() > deadline) throw new Error(`sshd did not listen within ${SSHD_START_MS} ms: ${said}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    if (sshd.exitCode !== null) throw new Error(`sshd exited ${sshd.exitCode}: ${said}`);
  }

  /** sshd and every session it forked, as when the host's ssh goes away: found by namespace. */
  async killSshd(): Promise<void> {
    if (!this.second) return;
    const pids = spawnSync('ip', ['netns', 'pids', this.second.netns], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
    for (const pid of pids) {
      const comm = await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '');
      if (comm.trim() === 'sshd') kill(Number(pid));
    }
    this.sshd = null;
  }

  /** `nova ARGS` against one host's helper directly, as that host's own user would run it. */
  async nova(host: NovaStackInfo, args: readonly string[]): Promise<string> {
    const r = await execa(process.execPath, [join(this.repoRoot, 'out/cli/nova.mjs'), '--socket', host.socket, '--no-autostart', ...args], { timeout: 60_000, reject: false });
    if (r.exitCode !== 0) throw new Error(`nova ${args.join(' ')} exited ${r.exitCode}: ${r.stderr}`);
    return r.stdout;
  }

  async stop(): Promise<void> {
    await this.killSshd();
    // What a failed test left: nova connect sessions name the second helper's socket, ssh clients our config.
    await killMentioning([this.dir, ...(this.second ? [this.second.socket] : [])]);
    await this.firstStack?.stop().catch(() => undefined);
    await this.secondStack?.stop().catch(() => undefined);
    // Guests outlive their helper by design: a QEMU a failed test left names its stack's folder.
    await killMentioning([this.first, this.second].flatMap((h) => (h ? [h.runDir] : [])));
    await rm(this.dir, { recursive: true, force: true });
  }
}

async function killMentioning(needles: readonly string[]): Promise<void> {
  if (needles.length === 0) return;
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (needles.some((n) => cmdline.includes(n))) kill(Number(entry));
  }
}

/** SIGKILL by pid; one that already exited is no error. */
function kill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone already
  }
}

async function run(file: string, args: string[]): Promise<void> {
  await execa(file, args, { timeout: 20_000 });
}
