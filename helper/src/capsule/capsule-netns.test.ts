// The capsule namespace steps without a host: the exact argv of every tool, the id maps
// written into the holder, the order of the steps, and the cleanup when one fails.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isNovaError } from '../../../src-shared/errors.js';
import type { ProcessRunner, RunSpec } from '../process/process-runner.js';
import { CapsuleNamespaces, holderArgv, idMapText, loopbackUpArgv, mountPointArgvs, netnsAddArgv, netnsDeleteArgv, parseMountinfo, umountArgv, type NamespaceHolder } from './capsule-netns.js';

const m = { hostId: 1_000_000_000, size: 65536 };

function mountLine(point: string, fstype: string): string {
  return `70 43 0:4 x ${point.replace(/ /g, '\\040')} rw - ${fstype} ${fstype} rw`;
}

describe('argv', () => {
  it('makes both namespaces in one unshare, with the files bound from outside, holding on cat', () => {
    expect(holderArgv('/run/nova/userns/nova-web', '/run/netns/nova-web')).toEqual([
      'unshare', '--user=/run/nova/userns/nova-web', '--net=/run/netns/nova-web', '--mount', '--', 'cat',
    ]);
  });
  it('maps container id 0 onward to the range', () => {
    expect(idMapText(m)).toBe('0 1000000000 65536\n');
  });
  it('adds, deletes and unmounts namespaces, and brings the loopback up', () => {
    expect(netnsAddArgv('nova-web')).toEqual(['ip', 'netns', 'add', 'nova-web']);
    expect(netnsDeleteArgv('nova-web')).toEqual(['ip', 'netns', 'delete', 'nova-web']);
    expect(umountArgv('/run/nova/userns/nova-web')).toEqual(['umount', '/run/nova/userns/nova-web']);
    expect(loopbackUpArgv('nova-web')).toEqual(['ip', '-n', 'nova-web', 'link', 'set', 'dev', 'lo', 'up']);
  });
  it('binds a namespace directory onto itself, shared as ip makes /run/netns', () => {
    expect(mountPointArgvs('/run/nova/userns')).toEqual([
      ['mount', '--bind', '/run/nova/userns', '/run/nova/userns'],
      ['mount', '--make-rshared', '/run/nova/userns'],
    ]);
  });
  it('reads mount points and their types from mountinfo, escapes decoded', () => {
    const mounts = parseMountinfo(`${mountLine('/run/netns', 'tmpfs')}\n${mountLine('/tmp/a b/x', 'nsfs')}\n36 25 0:32 / /sys/fs/cgroup ro shared:9 - tmpfs tmpfs ro\n`);
    expect(mounts.get('/run/netns')).toBe('tmpfs');
    expect(mounts.get('/tmp/a b/x')).toBe('nsfs');
    expect(mounts.get('/sys/fs/cgroup')).toBe('tmpfs');
  });
});

describe('CapsuleNamespaces', () => {
  let dir = '';
  let netnsDir = '';
  let usernsDir = '';
  let mountinfo: string[] = [];
  let calls: string[][] = [];
  let maps: string[] = [];
  let holderStatus = 0;
  let spawned: string[][] = [];
  const runner: Pick<ProcessRunner, 'run' | 'spawnDetached'> = {
    run: async ({ argv }: RunSpec) => {
      calls.push([...argv]);
      if (argv[0] === 'ip' && argv[2] === 'delete') mountinfo = mountinfo.filter((l) => !l.includes(join(netnsDir, argv[3]!)));
      if (argv[0] === 'umount') mountinfo = mountinfo.filter((l) => !l.includes(argv[1]!));
      return { exitCode: 0, signal: null, stdout: '', stderr: '', stopped: false, durationMs: 0 };
    },
    spawnDetached: () => Promise.reject(new Error('the holder is faked in this test')),
  };
  const holder = async (argv: readonly string[]): Promise<NamespaceHolder> => {
    spawned.push([...argv]);
    return {
      pid: 4242,
      ready: async () => undefined,
      release: async () => {
        if (holderStatus === 0) {
          for (const a of argv.slice(1, 3)) mountinfo.push(mountLine(a.split('=')[1]!, 'nsfs'));
        }
        return holderStatus;
      },
      kill: () => undefined,
    };
  };
  const namespaces = () =>
    new CapsuleNamespaces({
      runner,
      netnsDir,
      usernsDir,
      spawnHolder: holder,
      readMountinfo: async () => mountinfo.join('\n'),
      writeIdMap: async (pid, file, text) => {
        maps.push(`${pid} ${file} ${text}`);
      },
    });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nv5h-netns-unit-'));
    netnsDir = join(dir, 'netns');
    usernsDir = join(dir, 'userns');
    mountinfo = [mountLine(netnsDir, 'tmpfs')];
    calls = [];
    maps = [];
    spawned = [];
    holderStatus = 0;
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('makes the network namespace inside a user namespace with the mapping, binding only the directory not yet a mount point', async () => {
    const ns = namespaces();
    await ns.create('nova-web', m);
    expect(calls).toEqual(mountPointArgvs(usernsDir));
    expect(spawned).toEqual([holderArgv(join(usernsDir, 'nova-web'), join(netnsDir, 'nova-web'))]);
    expect(maps).toEqual(['4242 uid_map 0 1000000000 65536\n', '4242 gid_map 0 1000000000 65536\n']);
    expect(ns.usernsPath('nova-web')).toBe(join(usernsDir, 'nova-web'));
    expect(ns.netnsPath('nova-web')).toBe(join(netnsDir, 'nova-web'));
  });

  it('removes leftovers of a crash first, and binds the directories once per helper', async () => {
    const ns = namespaces();
    await ns.create('nova-a', m);
    calls = [];
    await ns.create('nova-a', m);
    expect(calls).toEqual([
      ['ip', 'netns', 'delete', 'nova-a'],
      ['umount', join(usernsDir, 'nova-a')],
    ]);
  });

  it('uses a plain `ip netns add` without a user namespace', async () => {
    await namespaces().create('nova-plain', null);
    expect(calls).toEqual([['ip', 'netns', 'add', 'nova-plain']]);
    expect(spawned).toEqual([]);
  });

  it('removes both namespaces (unmount and unlink), and is a no-op when they are gone', async () => {
    const ns = namespaces();
    await ns.create('nova-b', m);
    calls = [];
    await ns.remove('nova-b');
    expect(calls).toEqual([
      ['ip', 'netns', 'delete', 'nova-b'],
      ['umount', join(usernsDir, 'nova-b')],
    ]);
    expect(existsSync(join(usernsDir, 'nova-b'))).toBe(false);
    calls = [];
    await ns.remove('nova-b');
    expect(calls).toEqual([]);
  });

  it('fails with what went wrong and what to do, leaving no file behind', async () => {
    holderStatus = 1;
    try {
      await namespaces().create('nova-bad', m);
      expect.unreachable();
    } catch (err) {
      expect(isNovaError(err, 'failed_precondition')).toBe(true);
      expect((err as Error).message).toMatch(/network namespace nova-bad inside a user namespace \(uid 0 -> 1000000000\): unshare exited with status 1; .*userNamespace off/);
    }
    expect(existsSync(join(usernsDir, 'nova-bad'))).toBe(false);
    expect(existsSync(join(netnsDir, 'nova-bad'))).toBe(false);
  });
});
