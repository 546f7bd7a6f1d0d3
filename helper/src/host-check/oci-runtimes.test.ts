import { execFileSync } from 'node:child_process';
import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exitZeroElf, probeBundleConfig } from './oci-probe-bundle.js';
import {
  checkOciRuntimes,
  decideRuntime,
  probeDeleteArgv,
  probeRunArgv,
  type RuntimeProbe,
  selectRuntime,
} from './oci-runtimes.js';
import { FakeHost, isCall } from './testing/fake-host.js';
import { CRUN_HYBRID_ERROR, CRUN_VERSION, MOUNTINFO_HYBRID, MOUNTINFO_V2, RUNC_VERSION } from './testing/host-fixtures.js';

let host: FakeHost;
beforeEach(async () => {
  host = await FakeHost.create();
});
afterEach(async () => host.dispose());

function probe(name: 'crun' | 'runc', works: boolean | null, error: string | null = null): RuntimeProbe {
  return { name, path: works === null ? null : `/usr/bin/${name}`, version: works === null ? null : `${name} version 1`, works, error, durationMs: works === null ? null : 40 };
}

describe('runtime selection', () => {
  it('prefers crun when both work', () => {
    expect(selectRuntime([probe('crun', true), probe('runc', true)])).toBe('crun');
  });
  it('uses runc when crun fails', () => {
    expect(selectRuntime([probe('crun', false, 'exit 1'), probe('runc', true)])).toBe('runc');
  });
  it('uses crun alone', () => {
    expect(selectRuntime([probe('crun', true), probe('runc', null)])).toBe('crun');
  });
  it('has none when nothing works', () => {
    expect(selectRuntime([probe('crun', false, 'x'), probe('runc', false, 'y')])).toBeNull();
    expect(selectRuntime([probe('crun', null), probe('runc', null)])).toBeNull();
  });
  it('prefers a runtime that runs capsules in a user namespace over one that only runs them plain', () => {
    const crun = { ...probe('crun', true), userNamespace: { works: false, reason: 'unshare: Operation not permitted', hostId: null } };
    const runc = { ...probe('runc', true), userNamespace: { works: true, reason: null, hostId: 1_000_000_000 } };
    expect(selectRuntime([crun, runc])).toBe('runc');
    const v = decideRuntime([crun, runc], 'v2');
    expect(v.items.find((i) => i.id === 'oci-runtime')).toMatchObject({ status: 'ok', summary: 'Capsules will use runc, in user namespaces (uid 0 -> 1000000000)' });
    const crunItem = v.items.find((i) => i.id === 'oci-runtime.crun');
    expect(crunItem).toMatchObject({ status: 'warn', summary: 'Works, but not in a user namespace as capsules run (runc is used instead)' });
    expect(crunItem?.evidence.join('\n')).toContain('in a user namespace, as capsules run: fails (unshare: Operation not permitted)');
  });
  it('keeps the preferred runtime, and says capsules run without user namespaces, when none can make one', () => {
    const none = { works: false, reason: 'the kernel allows no user namespaces', hostId: null };
    const v = decideRuntime([{ ...probe('crun', true), userNamespace: none }, { ...probe('runc', true), userNamespace: none }], 'v2');
    expect(v.ociRuntime).toBe('crun');
    const sel = v.items.find((i) => i.id === 'oci-runtime');
    expect(sel).toMatchObject({ status: 'warn', summary: 'Capsules will use crun, without user namespaces: root inside a capsule is root on the host' });
    expect(sel?.evidence.join('\n')).toContain('the kernel allows no user namespaces');
    expect(v.items.find((i) => i.id === 'oci-runtime.crun')?.status).toBe('ok');
  });
  it('fails the capsule runtime item when nothing is installed', () => {
    const v = decideRuntime([probe('crun', null), probe('runc', null)], 'v2');
    const sel = v.items.find((i) => i.id === 'oci-runtime');
    expect(sel?.status).toBe('fail');
    expect(sel?.remedy).toMatch(/apt install crun/);
    expect(v.items.find((i) => i.id === 'oci-runtime.crun')?.status).toBe('warn');
  });
});

describe('probing the installed runtimes', () => {
  async function installBoth(mountinfo: string) {
    await host.file('/proc/self/mountinfo', mountinfo);
    await host.tool('/usr/bin/crun');
    await host.tool('/usr/sbin/runc');
  }

  it('on a hybrid cgroup host reports runc as used and crun as installed-but-failing, with its error', async () => {
    await installBoth(MOUNTINFO_HYBRID);
    const bundles: string[] = [];
    host.onRun(async (argv) => {
      if (isCall(argv, 'crun', '--version')) return { stdout: CRUN_VERSION };
      if (isCall(argv, 'runc', '--version')) return { stdout: RUNC_VERSION };
      if (argv.includes('--bundle')) bundles.push(argv[argv.indexOf('--bundle') + 1] ?? '');
      if (isCall(argv, 'crun', '--root')) return argv[3] === 'run' ? { exitCode: 1, stderr: CRUN_HYBRID_ERROR } : { exitCode: 0 };
      if (isCall(argv, 'runc', '--root')) return { exitCode: 0, durationMs: 39 };
      return undefined;
    });

    const v = await checkOciRuntimes(host.env());

    expect(v.ociRuntime).toBe('runc');
    const crun = v.items.find((i) => i.id === 'oci-runtime.crun');
    expect(crun?.status).toBe('warn');
    expect(crun?.evidence).toContain(`${host.at('/usr/bin/crun')}: crun version 1.8.1`);
    expect(crun?.evidence.join('\n')).toContain('cgroups in hybrid mode not supported');
    expect(crun?.evidence.join('\n')).toMatch(/does not support the hybrid cgroup layout/);
    expect(crun?.remedy).toMatch(/systemd.unified_cgroup_hierarchy=1/);
    const runc = v.items.find((i) => i.id === 'oci-runtime.runc');
    expect(runc?.status).toBe('ok');
    expect(runc?.summary).toMatch(/capsules will use it/);
    expect(v.items.find((i) => i.id === 'oci-runtime')?.summary).toBe('Capsules will use runc');
    expect(bundles.length).toBe(2);
  });

  it('runs each runtime with private state, a nv2h- id, then always deletes and cleans up', async () => {
    await installBoth(MOUNTINFO_V2);
    let bundleSeen: { config: unknown; exeMode: number; elf: Buffer } | null = null;
    host.onRun(async (argv) => {
      if (argv[1] === '--version') return { stdout: `${argv[0]} version 1.0\n` };
      if (isCall(argv, 'crun', '--root') && argv[3] === 'run') {
        const bundle = argv[5] ?? '';
        bundleSeen = {
          config: JSON.parse(await readFile(join(bundle, 'config.json'), 'utf8')),
          exeMode: (await stat(join(bundle, 'rootfs/probe'))).mode & 0o777,
          elf: await readFile(join(bundle, 'rootfs/probe')),
        };
        return { exitCode: null, timedOut: true };
      }
      return { exitCode: 0 };
    });

    const v = await checkOciRuntimes(host.env());

    expect(v.ociRuntime).toBe('runc');
    for (const rt of ['crun', 'runc']) {
      const calls = host.callsOf(rt).filter((a) => a[1] === '--root');
      expect(calls.map((a) => a[3])).toEqual(['run', 'delete']);
      const [run, del] = calls as [readonly string[], readonly string[]];
      const stateRoot = run[2] ?? '';
      expect(stateRoot.startsWith(host.at('/tmp/nv2h-oci-'))).toBe(true);
      const id = run[6] ?? '';
      expect(id).toMatch(new RegExp(`^nv2h-${rt}-\\d+-[0-9a-f]{8}$`));
      expect(del).toEqual([run[0], '--root', stateRoot, 'delete', '-f', id]);
    }
    expect(v.items.find((i) => i.id === 'oci-runtime.crun')?.evidence.join('\n')).toMatch(/no answer within 10 s/);
    expect(bundleSeen).not.toBeNull();
    const seen = bundleSeen as unknown as { config: unknown; exeMode: number; elf: Buffer };
    expect(seen.config).toEqual(probeBundleConfig('nv2h-probe'));
    expect(seen.exeMode).toBe(0o755);
    expect(new Uint8Array(seen.elf)).toEqual(exitZeroElf());
    expect(await readdir(host.at('/tmp'))).toEqual([]);
  });

  it('asks the capsules\' user-namespace probe about each runtime that works, one after the other, and picks by it', async () => {
    await installBoth(MOUNTINFO_V2);
    host.onRun((argv) => (argv[1] === '--version' ? { stdout: `${argv[0]} version 1.0\n` } : { exitCode: 0 }));
    const asked: string[] = [];
    let running = 0;
    const v = await checkOciRuntimes(host.env(), async (path) => {
      asked.push(path);
      expect(++running).toBe(1);
      await new Promise((r) => setTimeout(r, 5));
      running--;
      return path.endsWith('crun') ? { mapping: null, reason: 'crun: no user namespace' } : { mapping: { hostId: 1_000_000_000 }, reason: null };
    });
    expect(asked).toEqual([host.at('/usr/bin/crun'), host.at('/usr/sbin/runc')]);
    expect(v.ociRuntime).toBe('runc');
  });

  it('reports a runtime that is not installed without running it', async () => {
    await host.file('/proc/self/mountinfo', MOUNTINFO_V2);
    await host.tool('/usr/bin/crun');
    host.onRun((argv) => (argv[1] === '--version' ? { stdout: CRUN_VERSION } : { exitCode: 0 }));
    const v = await checkOciRuntimes(host.env());
    expect(v.ociRuntime).toBe('crun');
    expect(host.callsOf('runc')).toEqual([]);
    const runc = v.items.find((i) => i.id === 'oci-runtime.runc');
    expect(runc?.status).toBe('ok');
    expect(runc?.summary).toMatch(/Not installed \(not needed: crun works\)/);
  });
});

describe('runtime command lines', () => {
  it('runs and deletes the probe container with private state (--root), never /run', () => {
    expect(probeRunArgv('/usr/sbin/runc', '/tmp/nv2h-oci-runc-x/state', '/tmp/nv2h-oci-runc-x/bundle', 'nv2h-runc-1-ab')).toEqual([
      '/usr/sbin/runc', '--root', '/tmp/nv2h-oci-runc-x/state', 'run', '--bundle', '/tmp/nv2h-oci-runc-x/bundle', 'nv2h-runc-1-ab',
    ]);
    expect(probeDeleteArgv('/usr/bin/crun', '/tmp/s', 'nv2h-crun-1-ab')).toEqual(['/usr/bin/crun', '--root', '/tmp/s', 'delete', '-f', 'nv2h-crun-1-ab']);
  });
});

describe('the probe bundle', () => {
  it('has the OCI config a capsule would get: read-only root, no terminal, five namespaces', () => {
    expect(probeBundleConfig('nv2h-probe')).toEqual({
      ociVersion: '1.0.2',
      process: {
        terminal: false,
        user: { uid: 0, gid: 0 },
        args: ['/probe'],
        env: ['PATH=/'],
        cwd: '/',
        noNewPrivileges: true,
      },
      root: { path: 'rootfs', readonly: true },
      hostname: 'nv2h-probe',
      mounts: [
        { destination: '/proc', type: 'proc', source: 'proc' },
        { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      ],
      linux: {
        namespaces: [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, { type: 'network' }],
      },
    });
  });

  it('carries a static x86-64 ELF whose entry point is exit(0)', () => {
    const elf = Buffer.from(exitZeroElf());
    expect(elf.length).toBe(129);
    expect([...elf.subarray(0, 4)]).toEqual([0x7f, 0x45, 0x4c, 0x46]);
    expect(elf[4]).toBe(2); // 64-bit
    expect(elf.readUInt16LE(16)).toBe(2); // ET_EXEC
    expect(elf.readUInt16LE(18)).toBe(0x3e); // x86-64
    const entry = elf.readBigUInt64LE(24);
    const vaddr = elf.readBigUInt64LE(64 + 16);
    const codeAt = Number(entry - vaddr);
    expect([...elf.subarray(codeAt)]).toEqual([0xb8, 0x3c, 0, 0, 0, 0x31, 0xff, 0x0f, 0x05]);
  });

  it('really runs and exits 0 on this x86-64 Linux machine', async () => {
    if (process.arch !== 'x64') return;
    const dir = await mkdtemp(join(host.at('/tmp'), 'elf-'));
    try {
      const exe = join(dir, 'probe');
      await writeFile(exe, exitZeroElf());
      await chmod(exe, 0o755);
      expect(() => execFileSync(exe, { timeout: 5_000 })).not.toThrow();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
