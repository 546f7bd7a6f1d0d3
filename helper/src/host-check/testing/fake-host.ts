// A fake host for unit tests: a temp dir laid out like the kernel's real /proc, /sys
// and /dev (as libvirt's tests keep sysfs trees), plus a scripted run() that records
// every argv, so probes are tested without touching this machine.
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { type HostProbeEnv, type RunOptions, type RunResult, whichIn } from '../host-probe-env.js';

export type FakeRunHandler = (
  argv: readonly string[],
  opts: RunOptions,
) => Partial<RunResult> | undefined | Promise<Partial<RunResult> | undefined>;

export class FakeHost {
  readonly calls: Array<readonly string[]> = [];
  readonly killed: number[] = [];
  private handlers: FakeRunHandler[] = [];

  private constructor(readonly root: string) {}

  static async create(): Promise<FakeHost> {
    const root = await mkdtemp(join(tmpdir(), 'nv2h-fake-host-'));
    const host = new FakeHost(root);
    for (const d of ['proc', 'sys', 'dev', 'etc', 'tmp', 'usr/bin', 'usr/sbin']) await mkdir(join(root, d), { recursive: true });
    return host;
  }

  /** Absolute path inside the fake tree for a host path such as /proc/cpuinfo. */
  at(path: string): string {
    return join(this.root, path);
  }

  async file(path: string, content: string | Uint8Array = ''): Promise<this> {
    await mkdir(dirname(this.at(path)), { recursive: true });
    await writeFile(this.at(path), content);
    return this;
  }

  async dir(path: string): Promise<this> {
    await mkdir(this.at(path), { recursive: true });
    return this;
  }

  async link(path: string, target: string): Promise<this> {
    await mkdir(dirname(this.at(path)), { recursive: true });
    await symlink(target, this.at(path));
    return this;
  }

  /** An executable in /usr/bin or /usr/sbin, found by which(); its behaviour comes from onRun. */
  async tool(path: string): Promise<this> {
    await this.file(path, '#!/bin/false\n');
    await chmod(this.at(path), 0o755);
    return this;
  }

  /** Handlers are asked newest first; the first that returns a result answers. */
  onRun(handler: FakeRunHandler): this {
    this.handlers.unshift(handler);
    return this;
  }

  callsOf(tool: string): Array<readonly string[]> {
    return this.calls.filter((argv) => argv[0]?.endsWith(`/${tool}`) || argv[0] === tool);
  }

  env(overrides: Partial<HostProbeEnv> = {}): HostProbeEnv {
    const binDirs = [this.at('/usr/sbin'), this.at('/usr/bin')];
    return {
      rootDir: this.root,
      procRoot: this.at('/proc'),
      sysRoot: this.at('/sys'),
      devRoot: this.at('/dev'),
      etcRoot: this.at('/etc'),
      tmpDir: this.at('/tmp'),
      binDirs,
      isRoot: true,
      which: whichIn(binDirs),
      run: async (argv, opts) => {
        this.calls.push([...argv]);
        for (const h of this.handlers) {
          const r = await h(argv, opts);
          if (r) return { exitCode: 0, stdout: '', stderr: '', timedOut: false, stoppedOnMatch: false, spawnError: null, durationMs: 1, ...r };
        }
        return { exitCode: null, stdout: '', stderr: '', timedOut: false, stoppedOnMatch: false, spawnError: 'ENOENT', durationMs: 0 };
      },
      killProcess: (pid) => {
        this.killed.push(pid);
      },
      ...overrides,
    };
  }

  async dispose(): Promise<void> {
    await rm(this.root, { recursive: true, force: true });
  }
}

/** Matches a call by the tool's basename and, optionally, its first arguments. */
export function isCall(argv: readonly string[], tool: string, ...args: string[]): boolean {
  const [file, ...rest] = argv;
  if (!file || !(file === tool || file.endsWith(`/${tool}`))) return false;
  return args.every((a, i) => rest[i] === a);
}
