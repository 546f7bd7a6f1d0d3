// Capsules in user namespaces with the real runc, proven from outside: the capsule's process
// runs as the shifted uid on the host, its uid_map shows Nova's range, root inside can still
// write its own rootfs and a volume, and what it writes there belongs to the shifted uid.
// On a Nova network (the real helper in a namespace the test makes), the capsule's user
// namespace owns its network namespace: exec, a pty shell and a helper SIGKILL all work.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { chmod, chown, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HelperClient } from '../../src-main/core/helper-client.js';
import { describeUserNamespace } from '../../src-shared/capsule.js';
import type { CapsuleManager } from '../src/capsule/capsule-manager.js';
import { userNamespaceProber } from '../src/capsule/user-namespace.js';
import { createLogger, silentLogger } from '../src/util/logger.js';
import { capsuleTestEnv, makeBusyboxRootfs, removeCapsuleTestState, removeHelperCapsuleState, RUN_TAG, type CapsuleTestEnv } from './fixtures/capsule-harness.js';
import { CLI_BUNDLE, makeTestDir, startHelper, type RunningHelper } from './helper-harness.js';
import { openCliShell } from './fixtures/cli-shell.js';
import { capsuleSpec } from './fixtures/contract-params.js';
import { waitFor } from './fixtures/wait-for.js';

const TAG = `nv5u-${RUN_TAG.slice(-6)}`;
const CGROUP_PARENT = `/${TAG}`;
const IMAGE = 'nv5u-busybox';

let env: CapsuleTestEnv;
let m: CapsuleManager;

beforeAll(async () => {
  env = await capsuleTestEnv('nv5u');
  // mkdtemp makes the test dir 0700: the capsules' shifted root must be able to pass it.
  await chmod(env.dir, 0o711);
  await env.images.import(env.rootfsTar, IMAGE);
  const logger = process.env.NV5_LOG ? createLogger(process.env.NV5_LOG) : silentLogger();
  const common = { runner: env.runner, logger, stateDir: env.stateDir, capsulesDir: join(env.stateDir, 'capsules'), cgroupParent: CGROUP_PARENT };
  m = await env.newManager({
    containerIdPrefix: `${TAG}-`,
    cgroupParent: CGROUP_PARENT,
    userNamespaces: userNamespaceProber({ ...common, idPrefix: `${TAG}-` }),
  });
}, 60_000);

afterAll(async () => {
  if (!env) return;
  await env.cleanup();
  // The harness removes its own cgroup parent; this file's capsules live under CGROUP_PARENT.
  await removeCapsuleTestState(env.dir, env.stateDir, [CGROUP_PARENT]);
});

async function hostIds(pid: number): Promise<{ uid: number; gid: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => Number(/^\S+:\s+(\d+)/.exec(status.split('\n').find((l) => l.startsWith(`${name}:`)) ?? '')?.[1]);
  return { uid: field('Uid'), gid: field('Gid') };
}

async function running(name: string): Promise<number> {
  return waitFor(async () => {
    const c = await m.get(name);
    return c.state === 'running' && c.pid ? c.pid : null;
  }, 15_000, `${name} to run`);
}

/** The capsule's log once it holds `word`. */
async function outputWith(name: string, word: string): Promise<string> {
  return waitFor(async () => {
    const t = (await m.logs(name, {})).lines.map((l) => l.text).join('\n');
    return t.includes(word) ? t : null;
  }, 15_000, `${name}'s output`);
}

async function sh(name: string, script: string) {
  return m.exec(name, ['sh', '-c', script], { timeoutMs: 15_000 });
}

describe('capsules in user namespaces (runc)', () => {
  let hostId = 0;

  it('runs unprivileged: the shifted uid on the host, the mapping inside, root can write its rootfs and a volume', async () => {
    const vol = join(env.volumeRoot, 'shared');
    await mkdir(vol);
    await m.create(capsuleSpec({ name: 'nv5u-box', image: IMAGE, command: ['sleep', '300'], stopTimeoutSec: 1, volumes: [{ source: vol, target: '/data' }] }));
    const c = await m.get('nv5u-box');
    expect(c.userNamespace, describeUserNamespace(c.userNamespace!)).toMatchObject({ enabled: true, size: 65536, reason: null });
    hostId = c.userNamespace!.hostId!;
    expect(hostId).toBeGreaterThan(65535);
    expect(describeUserNamespace(c.userNamespace!)).toBe(`yes, uid 0 -> ${hostId} (65536 ids)`);
    // The documented volume rule: the folder must let the shifted root write (Nova never chowns it).
    await chown(vol, hostId, hostId);

    await m.start('nv5u-box');
    const pid = await running('nv5u-box');
    expect(await hostIds(pid)).toEqual({ uid: hostId, gid: hostId });

    const inside = await sh('nv5u-box', 'id -u; cat /proc/self/uid_map; cat /proc/self/gid_map');
    expect(inside.exitCode).toBe(0);
    const [uid, uidMap, gidMap] = inside.stdout.trim().split('\n').map((l) => l.trim().split(/\s+/).join(' '));
    expect(uid).toBe('0');
    expect(uidMap).toBe(`0 ${hostId} 65536`);
    expect(gidMap).toBe(`0 ${hostId} 65536`);

    const writes = await sh('nv5u-box', 'echo root-file > /etc/from-root && cat /etc/from-root && echo vol-file > /data/out.txt && ls -ln /etc/motd /data/out.txt');
    expect(writes.stderr).toBe('');
    expect(writes.exitCode).toBe(0);
    expect(writes.stdout).toContain('root-file');
    // Inside, the image's files and the new one belong to root (0).
    expect(writes.stdout).toMatch(/ 0 +0 .*\/etc\/motd/);

    const onHost = await stat(join(vol, 'out.txt'));
    expect({ uid: onHost.uid, gid: onHost.gid }).toEqual({ uid: hostId, gid: hostId });
    expect(await readFile(join(vol, 'out.txt'), 'utf8')).toBe('vol-file\n');
    const upperFile = await stat(join(env.stateDir, 'capsules/nv5u-box/upper/etc/from-root'));
    expect(upperFile.uid).toBe(hostId);
    // /dev, /proc, /sys and the cgroup tree are there, root inside cannot touch host devices.
    const mounts = await sh('nv5u-box', 'ls /sys/fs/cgroup >/dev/null && ls /proc/1/status >/dev/null && echo x > /dev/null && cat /etc/hostname');
    expect(mounts.exitCode).toBe(0);
    expect(mounts.stdout.trim()).toBe('nv5u-box');
    await m.stop('nv5u-box', 1);
    expect((await m.get('nv5u-box')).lastExit?.reason).toBe('stopped');
  });

  it('maps a non-root user inside to hostId + uid, and a volume the shifted ids may not write stays unwritten', async () => {
    const locked = join(env.volumeRoot, 'locked');
    await mkdir(locked, { mode: 0o755 });
    await m.create(capsuleSpec({
      name: 'nv5u-user',
      image: IMAGE,
      user: '1000:1000',
      command: ['sh', '-c', 'id -u; if echo x > /locked/f 2>/dev/null; then echo locked-writable; else echo locked-refused; fi; exec sleep 300'],
      stopTimeoutSec: 1,
      volumes: [{ source: locked, target: '/locked' }],
    }));
    await m.start('nv5u-user');
    const pid = await running('nv5u-user');
    expect(await hostIds(pid)).toEqual({ uid: hostId + 1000, gid: hostId + 1000 });
    const text = await outputWith('nv5u-user', 'locked-');
    expect(text).toContain('1000');
    expect(text).toContain('locked-refused');
    await m.stop('nv5u-user', 1);
  });

  it('runs as host root when the capsule turns the user namespace off, and says why', async () => {
    await m.create(capsuleSpec({ name: 'nv5u-priv', image: IMAGE, command: ['sleep', '300'], stopTimeoutSec: 1, userNamespace: false }));
    const c = await m.get('nv5u-priv');
    expect(c.userNamespace).toMatchObject({ enabled: false, hostId: null });
    expect(describeUserNamespace(c.userNamespace!)).toMatch(/^no: turned off for this capsule/);
    await m.start('nv5u-priv');
    expect(await hostIds(await running('nv5u-priv'))).toEqual({ uid: 0, gid: 0 });
    expect((await sh('nv5u-priv', 'cat /proc/self/uid_map')).stdout.trim().split(/\s+/)).toEqual(['0', '0', '4294967295']);
    await m.stop('nv5u-priv', 1);
  });

  it('gives a volume below a folder the shifted root cannot search: it is bound by descriptor, only its own mode counts', async () => {
    const hidden = join(env.volumeRoot, 'private');
    await mkdir(join(hidden, 'data'), { recursive: true, mode: 0o755 });
    await writeFile(join(hidden, 'data', 'marker'), 'seen\n');
    await chmod(hidden, 0o700);
    await m.create(capsuleSpec({
      name: 'nv5u-hidden',
      image: IMAGE,
      command: ['sh', '-c', 'cat /data/marker; if echo x > /data/f 2>/dev/null; then echo data-writable; else echo data-refused; fi'],
      volumes: [{ source: join(hidden, 'data'), target: '/data' }],
    }));
    await m.start('nv5u-hidden');
    const text = await outputWith('nv5u-hidden', 'data-');
    expect(text).toContain('seen');
    expect(text).toContain('data-refused');
  });

  it('keeps the memory (OOM) and pids limits in the user namespace', async () => {
    await m.create(capsuleSpec({
      name: 'nv5u-oom',
      image: IMAGE,
      memoryBytes: 16 * 1024 * 1024,
      command: ['sh', '-c', 'sleep 0.3; x=$(head -c 200000000 /dev/zero | tr "\\0" a); echo survived'],
    }));
    expect((await m.get('nv5u-oom')).userNamespace?.enabled).toBe(true);
    await m.start('nv5u-oom');
    const oom = await waitFor(async () => {
      const c = await m.get('nv5u-oom');
      return c.state === 'stopped' && c.lastExit ? c : null;
    }, 30_000, 'the OOM kill');
    expect(oom.lastExit).toMatchObject({ reason: 'oom-killed', exitCode: 137 });

    await m.create(capsuleSpec({ name: 'nv5u-pids', image: IMAGE, pids: 16, stopTimeoutSec: 1, command: ['sh', '-c', 'sh -c "while :; do sleep 30 & done"; echo loop-ended; exec sleep 30'] }));
    await m.start('nv5u-pids');
    await waitFor(async () => (await m.logs('nv5u-pids', {})).lines.some((l) => l.text.includes('loop-ended')), 10_000, 'the fork loop to end');
    expect((await m.metrics('nv5u-pids')).pids).toBeLessThanOrEqual(16);
    await m.stop('nv5u-pids', 1);
  });

  it('keeps snapshots, restart and a second manager working in the user namespace', async () => {
    await m.create(capsuleSpec({ name: 'nv5u-snap', image: IMAGE, command: ['sh', '-c', 'cat /state 2>/dev/null || echo none; exec sleep 300'], stopTimeoutSec: 1 }));
    await m.start('nv5u-snap');
    await running('nv5u-snap');
    expect((await sh('nv5u-snap', 'echo kept > /state')).exitCode).toBe(0);
    await m.snapshotCreate('nv5u-snap', 'one');
    expect((await sh('nv5u-snap', 'echo changed > /state')).exitCode).toBe(0);
    await m.stop('nv5u-snap', 1);
    await m.snapshotRestore('nv5u-snap', 'one');
    const second = await env.newManager({ containerIdPrefix: `${TAG}-`, cgroupParent: CGROUP_PARENT });
    expect((await second.get('nv5u-snap')).userNamespace).toMatchObject({ enabled: true, hostId });
    await second.start('nv5u-snap');
    const pid = await waitFor(async () => (await second.get('nv5u-snap')).pid, 15_000, 'the restored capsule to run');
    expect((await hostIds(pid)).uid).toBe(hostId);
    const out = await second.exec('nv5u-snap', ['cat', '/state'], { timeoutMs: 15_000 });
    expect(out.stdout.trim()).toBe('kept');
    expect((await stat(join(env.stateDir, 'capsules/nv5u-snap/upper/state'))).uid).toBe(hostId);
    await second.stop('nv5u-snap', 1);
  });
});

describe('the helper runs capsules in user namespaces where the host allows', () => {
  const name = `${TAG}-rpc`;
  let dir = '';
  let helper: RunningHelper | null = null;
  let client: HelperClient | null = null;

  beforeAll(async () => {
    dir = await makeTestDir(`${TAG}-helper`);
    const tar = await makeBusyboxRootfs(dir);
    helper = await startHelper(dir, { extraArgs: ['--run-dir', join(dir, 'run'), '--allowed-root', dir, '--oci-runtime', 'runc'] });
    client = new HelperClient({ socketPath: helper.socketPath, reconnect: false });
    client.start();
    await client.waitForConnection();
    await client.call('ociImage.import', { path: tar, name: `${TAG}-img` });
  }, 120_000);

  afterAll(async () => {
    try {
      await client?.call('capsule.delete', { name, force: true }).catch(() => undefined);
    } finally {
      client?.close();
      await helper?.stop();
      if (dir) await removeHelperCapsuleState(dir, [name]);
    }
  });

  it('probes, maps the capsule, and says so in capsule.get and `nova capsule inspect`', async () => {
    const created = await client!.call('capsule.create', { name, image: `${TAG}-img`, command: ['sleep', '300'], stopTimeoutSec: 1 });
    expect(created.userNamespace, JSON.stringify(created.userNamespace)).toMatchObject({ enabled: true, size: 65536, reason: null });
    const hostId = created.userNamespace!.hostId!;
    await client!.call('capsule.start', { name });
    const pid = await waitFor(async () => (await client!.call('capsule.get', { name })).pid, 15_000, 'the capsule to run');
    expect((await hostIds(pid)).uid).toBe(hostId);
    const map = await client!.call('capsule.exec', { name, command: ['cat', '/proc/self/uid_map'] });
    expect(map.stdout.trim().split(/\s+/)).toEqual(['0', String(hostId), '65536']);
    const inspect = spawnSync(process.execPath, [CLI_BUNDLE, '--socket', helper!.socketPath, '--no-autostart', 'capsule', 'inspect', name], { encoding: 'utf8', timeout: 60_000 });
    expect(inspect.status, inspect.stderr).toBe(0);
    expect(inspect.stdout).toContain(`user namespace: yes, uid 0 -> ${hostId} (65536 ids)`);
    expect(helper!.logs()).toMatch(/capsules run in user namespaces/);
  });
});

describe('capsules on a Nova network run in a user namespace that owns their network namespace', () => {
  // The real helper inside a network namespace this test makes, as capsule-network.test.ts runs it.
  const RUN = randomBytes(3).toString('hex');
  const NS = `nv5h${RUN}`;
  const NET = `nv5h${RUN}`;
  const GATEWAY = '10.95.75.1';
  const A = `nv5h-${RUN}-a`;
  const B = `nv5h-${RUN}-b`;
  const IMG = `nv5h-${RUN}-busybox`;
  // The real helper's container ids (and so its namespace names) are `nova-NAME`.
  const netnsFile = (c: string) => `/run/netns/nova-${c}`;
  const usernsFile = (c: string) => `/run/nova/userns/nova-${c}`;
  let dir = '';
  let helper: RunningHelper | null = null;
  let client: HelperClient | null = null;

  const connect = async () => {
    client?.close();
    client = new HelperClient({ socketPath: helper!.socketPath, reconnect: false });
    client.start();
    await client.waitForConnection();
    return client;
  };
  const startInNs = () => startHelper(dir, { netns: NS, extraArgs: ['--run-dir', join(dir, 'run'), '--allowed-root', dir, '--oci-runtime', 'runc'] });
  const mountTypes = () => {
    const out = new Map<string, string>();
    for (const l of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
      const f = l.split(' ');
      const dash = f.indexOf('-');
      if (dash > 0) out.set(f[4]!, f[dash + 1]!);
    }
    return out;
  };
  /** The namespace inode a path or /proc link names (`user:[N]`, or the nsfs file's own inode). */
  const nsInode = (path: string) => statSync(path).ino;

  beforeAll(async () => {
    execFileSync('ip', ['netns', 'add', NS]);
    execFileSync('ip', ['-n', NS, 'link', 'set', 'lo', 'up']);
    dir = await makeTestDir(`nv5h-${RUN}`);
    const tar = await makeBusyboxRootfs(dir);
    helper = await startInNs();
    const c = await connect();
    await c.call('ociImage.import', { path: tar, name: IMG });
    await c.call('network.create', { name: NET, subnet: `${GATEWAY}/24` });
  }, 120_000);

  afterAll(async () => {
    try {
      for (const name of [A, B]) await client?.call('capsule.delete', { name, force: true }).catch(() => undefined);
      await client?.call('network.delete', { name: NET }).catch(() => undefined);
    } finally {
      client?.close();
      await helper?.stop();
      if (dir) await removeHelperCapsuleState(dir, [A, B], [NS]);
    }
  }, 60_000);

  it('maps the capsule, pings its peer by name, execs, opens a shell, and survives a helper SIGKILL', async () => {
    let c = client!;
    for (const name of [A, B]) {
      const created = await c.call('capsule.create', { name, image: IMG, command: ['sleep', '300'], network: NET, stopTimeoutSec: 1 });
      expect(created.userNamespace, JSON.stringify(created.userNamespace)).toMatchObject({ enabled: true, size: 65536, reason: null });
    }
    const hostId = (await c.call('capsule.get', { name: A })).userNamespace!.hostId!;
    const ca = await c.call('capsule.start', { name: A });
    const cb = await c.call('capsule.start', { name: B });
    expect(ca.network?.address).toMatch(/^10\.95\.75\.\d+\/24$/);
    expect(cb.network?.hostname).toBe(`${B}.${NET}.nova`);
    const pid = await waitFor(async () => (await c.call('capsule.get', { name: A })).pid, 15_000, 'the capsule pid');
    expect(await hostIds(pid)).toEqual({ uid: hostId, gid: hostId });

    // Both namespaces are kept as nsfs files, and they are the ones the capsule's process is in.
    const mounts = mountTypes();
    expect(mounts.get(netnsFile(A))).toBe('nsfs');
    expect(mounts.get(usernsFile(A))).toBe('nsfs');
    expect(nsInode(`/proc/${pid}/ns/user`)).toBe(nsInode(usernsFile(A)));
    expect(nsInode(`/proc/${pid}/ns/net`)).toBe(nsInode(netnsFile(A)));

    // exec (runc joins the user namespace, then the network one it owns) and a fresh sysfs.
    const inside = await c.call('capsule.exec', { name: A, command: ['sh', '-c', 'id -u; cat /proc/self/uid_map; grep " /sys " /proc/self/mounts; ip -4 -o addr show eth0'] });
    expect(inside.exitCode, inside.stderr).toBe(0);
    const lines = inside.stdout.trim().split('\n').map((l) => l.trim().split(/\s+/).join(' '));
    expect(lines[0]).toBe('0');
    expect(lines[1]).toBe(`0 ${hostId} 65536`);
    expect(lines[2]).toMatch(/^sysfs \/sys sysfs ro,/);
    expect(lines[3]).toContain(ca.network!.address);
    const ping = await c.call('capsule.exec', { name: A, command: ['ping', '-c1', '-W3', `${B}.${NET}.nova`] });
    expect(ping.stdout + ping.stderr).toContain(cb.network!.address.split('/')[0]);
    expect(ping.exitCode).toBe(0);

    // An interactive shell through the real CLI, under a pty.
    const term = openCliShell({ socketPath: helper!.socketPath, capsule: A, cwd: dir, helperLogs: () => helper!.logs() });
    try {
      await term.see('the shell prompt', /\/ # /);
      term.write('echo uid=$(id -u) peers=$(ping -c1 -W3 ' + `${B}.${NET}.nova` + ' >/dev/null && echo ok)\r');
      await term.see('the shell answering', /\r+\nuid=0 peers=ok\r+\n/);
      expect(await term.exit()).toBe(0);
    } finally {
      term.kill();
    }

    // A helper killed outright finds the capsule and its namespaces again, and cleans them up.
    await helper!.kill('SIGKILL');
    expect(mountTypes().get(usernsFile(A))).toBe('nsfs');
    helper = await startInNs();
    c = await connect();
    const again = await c.call('capsule.get', { name: A });
    expect(again).toMatchObject({ state: 'running', pid });
    expect((await c.call('capsule.exec', { name: A, command: ['ping', '-c1', '-W3', `${B}.${NET}.nova`] })).exitCode).toBe(0);
    const stopped = await c.call('capsule.stop', { name: A, timeoutSec: 1 });
    expect(stopped.network).toBeNull();
    const after = mountTypes();
    expect(after.has(netnsFile(A))).toBe(false);
    expect(after.has(usernsFile(A))).toBe(false);
    expect(existsSync(usernsFile(A))).toBe(false);
    expect(existsSync(netnsFile(A))).toBe(false);

    await c.call('capsule.delete', { name: B, force: true });
    expect(mountTypes().has(usernsFile(B))).toBe(false);
    expect(existsSync(netnsFile(B))).toBe(false);
    expect((await c.call('network.get', { name: NET })).attachments).toEqual([]);
  }, 120_000);
});
