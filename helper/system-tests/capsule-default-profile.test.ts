// What a process inside a default capsule (real runc, busybox image) can reach: its
// capabilities are no more than the documented set (README, "Capsules"), seccomp filters
// it and it cannot gain privileges, the kernel's secrets in /proc are masked, /proc/sys
// is read-only, loading a kernel or a module is refused; and an image that would turn
// /proc into a link to somewhere else is refused before anything runs.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isNovaError } from '../../src-shared/errors.js';
import type { CapsuleManager } from '../src/capsule/capsule-manager.js';
import { DEFAULT_CAPABILITIES } from '../src/capsule/oci-config.js';
import { capsuleTestEnv, REPO, type CapsuleTestEnv } from './fixtures/capsule-harness.js';
import { capsuleSpec } from './fixtures/contract-params.js';
import { waitFor } from './fixtures/wait-for.js';

const IMAGE = 'nv4i-busybox';
let env: CapsuleTestEnv;
let m: CapsuleManager;
let probeDir: string;

/** Bit numbers from linux/capability.h, for the ones a capsule may hold and a few it must not. */
const CAP_BITS: Record<string, number> = {
  CAP_CHOWN: 0, CAP_DAC_OVERRIDE: 1, CAP_DAC_READ_SEARCH: 2, CAP_FOWNER: 3, CAP_FSETID: 4, CAP_KILL: 5, CAP_SETGID: 6,
  CAP_SETUID: 7, CAP_SETPCAP: 8, CAP_NET_BIND_SERVICE: 10, CAP_NET_ADMIN: 12, CAP_NET_RAW: 13, CAP_SYS_MODULE: 16,
  CAP_SYS_CHROOT: 18, CAP_SYS_PTRACE: 19, CAP_SYS_ADMIN: 21, CAP_SYS_BOOT: 22, CAP_MKNOD: 27, CAP_AUDIT_WRITE: 29, CAP_SETFCAP: 31,
};

/** The documented set as the kernel prints it in /proc/PID/status. */
function documentedMask(): bigint {
  return DEFAULT_CAPABILITIES.reduce((mask, cap) => {
    const bit = CAP_BITS[cap];
    if (bit === undefined) throw new Error(`no bit known for ${cap}`);
    return mask | (1n << BigInt(bit));
  }, 0n);
}

beforeAll(async () => {
  env = await capsuleTestEnv('nv4i-profile');
  await env.images.import(env.rootfsTar, IMAGE);
  m = await env.newManager({ containerIdPrefix: 'nv4i-' });
  // The probe reaches the capsule through a read-only volume: the image has no compiler.
  probeDir = join(env.volumeRoot, 'probe');
  await mkdir(probeDir);
  execFileSync('gcc', ['-static', '-Os', '-o', join(probeDir, 'syscall-probe'), join(REPO, 'helper/system-tests/fixtures/syscall-probe.c')]);
});

afterAll(async () => {
  await env?.cleanup();
});

async function runToEnd(name: string, script: string): Promise<string> {
  await m.create(capsuleSpec({ name, image: IMAGE, command: ['sh', '-c', script], volumes: [{ source: probeDir, target: '/probe', readOnly: true }] }));
  await m.start(name);
  await waitFor(async () => {
    const c = await m.get(name);
    return c.state === 'stopped' && c.lastExit;
  }, 30_000, `${name} to exit`);
  const page = await m.logs(name, {});
  return page.lines.filter((l) => l.stream === 'stdout').map((l) => l.text).join('\n');
}

function field(report: string, name: string): string {
  const match = new RegExp(`^${name}:\\s*(\\S+)`, 'm').exec(report);
  if (!match) throw new Error(`no ${name} in:\n${report}`);
  return match[1]!;
}

describe('the default capsule profile', () => {
  let report: string;

  beforeAll(async () => {
    report = await runToEnd('nv4i-inside', [
      'grep -E "^(CapEff|CapBnd|CapPrm|Seccomp|NoNewPrivs):" /proc/self/status',
      // A masked file is /dev/null bound over it; one the host lacks stays absent.
      'for f in kcore keys timer_list; do if [ -e /proc/$f ]; then echo "$f: $(stat -c %F /proc/$f | tr " " _)"; else echo "$f: absent"; fi; done',
      'if echo 1 > /proc/sys/vm/drop_caches 2>/dev/null; then echo "procsys: written"; else echo "procsys: refused"; fi',
      'if echo nv4i > /proc/sys/kernel/domainname 2>/dev/null; then echo "domainname: written"; else echo "domainname: refused"; fi',
      '/probe/syscall-probe kexec_load init_module finit_module unshare_user',
    ].join('; '));
  });

  it('holds no capability beyond the documented set', () => {
    const allowed = documentedMask();
    for (const set of ['CapEff', 'CapPrm', 'CapBnd']) {
      const held = BigInt(`0x${field(report, set)}`);
      expect({ set, beyond: (held & ~allowed).toString(16) }).toEqual({ set, beyond: '0' });
    }
    const eff = BigInt(`0x${field(report, 'CapEff')}`);
    for (const cap of ['CAP_SYS_ADMIN', 'CAP_SYS_MODULE', 'CAP_SYS_BOOT', 'CAP_NET_ADMIN', 'CAP_SYS_PTRACE']) {
      expect({ cap, held: (eff >> BigInt(CAP_BITS[cap]!)) & 1n }).toEqual({ cap, held: 0n });
    }
  });

  it('runs under a seccomp filter and cannot gain privileges', () => {
    expect(field(report, 'Seccomp')).toBe('2');
    expect(field(report, 'NoNewPrivs')).toBe('1');
  });

  it('masks /proc/kcore and /proc/keys and keeps /proc/sys read-only', () => {
    for (const f of ['kcore', 'keys', 'timer_list']) {
      expect({ f, inside: field(report, f) }).toEqual({ f, inside: existsSync(`/proc/${f}`) ? 'character_special_file' : 'absent' });
    }
    // At least one of them exists here, or the test would show nothing.
    expect(['kcore', 'keys', 'timer_list'].some((f) => existsSync(`/proc/${f}`))).toBe(true);
    expect(field(report, 'procsys')).toBe('refused');
    expect(field(report, 'domainname')).toBe('refused');
  });

  it('refuses kexec_load, init_module and friends with EPERM', () => {
    // On this host the kernel itself answers ENOSYS to root for the first three: EPERM is the filter's.
    for (const call of ['kexec_load', 'init_module', 'finit_module', 'unshare_user']) expect(field(report, call)).toBe('EPERM');
  });
});

describe('an image whose /proc is a link', () => {
  it.each([
    ['to the host root', '/'],
    ['up and out', '../../../../proc'],
  ])('is refused (%s) and runs nothing', async (_label, target) => {
    const name = `nv4i-proclink-${target === '/' ? 'root' : 'up'}`;
    const root = join(env.dir, `${name}-rootfs`);
    await mkdir(join(root, 'bin'), { recursive: true });
    execFileSync('cp', ['/bin/busybox', join(root, 'bin/busybox')]);
    await symlink('busybox', join(root, 'bin/sh'));
    await symlink(target, join(root, 'proc'));
    const marker = join(env.dir, `${name}.ran`);
    await writeFile(join(root, 'marker-path'), marker);
    const tar = join(env.dir, `${name}.tar`);
    execFileSync('tar', ['--create', '--file', tar, '--numeric-owner', '--owner=0', '--group=0', '--directory', root, '.']);
    await rm(root, { recursive: true, force: true });

    let outcome = 'accepted';
    try {
      await env.images.import(tar, name);
      await m.create(capsuleSpec({ name, image: name, command: ['/bin/sh', '-c', 'echo ran'] }));
      await m.start(name);
      await waitFor(async () => (await m.get(name)).state === 'stopped', 15_000, `${name} to stop`);
      const page = await m.logs(name, {});
      outcome = page.lines.some((l) => l.text === 'ran') ? 'ran' : 'accepted';
    } catch (err) {
      outcome = isNovaError(err) ? `${err.code}: ${err.message}` : `not a NovaError: ${String(err)}`;
    }
    expect(outcome).toMatch(/^invalid_argument: Image "nv4i-proclink-[\w:]+" cannot run as a capsule: its \/proc is a symbolic link/);
    expect(await env.images.find(name)).toBeNull();
  });
});
