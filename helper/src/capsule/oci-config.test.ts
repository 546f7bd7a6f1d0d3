// Golden pairs for the OCI config generator: each case's expected config.json lives in
// golden/oci-config/CASE.json. Run with UPDATE_GOLDEN=1 to rewrite them, then review the diff.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CapsuleSpecSchema, type CapsuleSpecIn, type OciImageConfig } from '../../../src-shared/capsule.js';
import { isNovaError } from '../../../src-shared/errors.js';
import { buildOciConfig, capsuleArgs, cpuLimit, type OciConfigInput } from './oci-config.js';

const GOLDEN_DIR = join(import.meta.dirname, 'golden/oci-config');

const busybox: OciImageConfig = {
  entrypoint: [],
  cmd: ['/bin/sh'],
  env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
  user: '',
  workdir: '',
  exposedPorts: [],
  labels: {},
};

const webImage: OciImageConfig = {
  entrypoint: ['/docker-entrypoint.sh'],
  cmd: ['nginx', '-g', 'daemon off;'],
  env: ['PATH=/usr/bin:/bin', 'NGINX_VERSION=1.25.3', 'LANG=C'],
  user: '101:101',
  workdir: '/srv',
  exposedPorts: ['80/tcp'],
  labels: { maintainer: 'someone' },
};

function input(spec: CapsuleSpecIn, overrides: Partial<Omit<OciConfigInput, 'spec'>> = {}): OciConfigInput {
  const parsed = CapsuleSpecSchema.parse(spec);
  return {
    spec: parsed,
    image: busybox,
    rootfsPath: '/var/lib/nova/capsules/' + parsed.name + '/rootfs',
    cgroupsPath: '/nova/' + parsed.name,
    netnsPath: null,
    idMapping: null,
    volumes: [],
    user: { uid: 0, gid: 0 },
    etcFiles: null,
    ...overrides,
  };
}

const cases: Record<string, OciConfigInput> = {
  'minimal-busybox': input({ name: 'web', image: 'busybox' }),
  'command-override': input({ name: 'job', image: 'busybox', command: ['echo', 'hello world'] }),
  'entrypoint-override-drops-image-cmd': input({ name: 'ep', image: 'web', entrypoint: ['/bin/sh', '-c'] }, { image: webImage }),
  'image-entrypoint-and-cmd': input({ name: 'nginx', image: 'nginx' }, { image: webImage, user: { uid: 101, gid: 101 } }),
  'env-merge-and-override': input(
    { name: 'envy', image: 'nginx', env: { LANG: 'C.UTF-8', EXTRA: 'a=b c' } },
    { image: webImage, user: { uid: 101, gid: 101 } },
  ),
  'workdir-and-user': input({ name: 'wd', image: 'busybox', workdir: '/tmp/work', user: '1000:1000' }, { user: { uid: 1000, gid: 1000, additionalGids: [27] } }),
  'hostname-explicit': input({ name: 'named_one', image: 'busybox', hostname: 'box-1' }),
  'hostname-from-name-underscore': input({ name: 'named_two', image: 'busybox' }),
  'cpu-fractional': input({ name: 'half', image: 'busybox', cpus: 0.5 }),
  'cpu-two-and-a-quarter': input({ name: 'many', image: 'busybox', cpus: 2.25 }),
  'memory-and-pids': input({ name: 'small', image: 'busybox', memoryBytes: 64 * 1024 * 1024, pids: 32 }),
  'io-weight': input({ name: 'io', image: 'busybox', ioWeight: 300 }),
  'all-limits': input({ name: 'limits', image: 'busybox', cpus: 1, memoryBytes: 256 * 1024 * 1024, pids: 512, ioWeight: 500 }),
  'volumes-rw-and-ro': input(
    { name: 'vol', image: 'busybox', volumes: [{ source: '/srv/data', target: '/data' }, { source: '/srv/conf', target: '/etc/app', readOnly: true }] },
    { volumes: [{ source: '/srv/data', target: '/data', readOnly: false }, { source: '/srv/conf', target: '/etc/app', readOnly: true }] },
  ),
  'nova-network-netns': input({ name: 'net', image: 'busybox' }, { netnsPath: '/run/netns/nova-lan-net' }),
  'user-namespace': input({ name: 'unpriv', image: 'busybox', userNamespace: true }, { idMapping: { hostId: 100000, size: 65536 } }),
  'user-namespace-nova-range-on-network': input(
    { name: 'unpriv_net', image: 'busybox', network: 'lan' },
    {
      idMapping: { hostId: 1_000_000_000, size: 65536 },
      netnsPath: '/run/netns/nova-unpriv_net',
      usernsPath: '/run/nova/userns/nova-unpriv_net',
      volumes: [{ source: '/srv/data', target: '/data', readOnly: false }],
    },
  ),
  'etc-files': input(
    { name: 'etc', image: 'busybox' },
    { etcFiles: { hosts: '/var/lib/nova/capsules/etc/hosts', hostname: '/var/lib/nova/capsules/etc/hostname', resolvConf: '/var/lib/nova/capsules/etc/resolv.conf' } },
  ),
  'relative-rootfs': input({ name: 'rel', image: 'busybox' }, { rootfsPath: 'rootfs', cgroupsPath: '/nv-test/rel' }),
  'gpu-render-and-card-nodes': input(
    { name: 'gpu', image: 'busybox', gpus: ['renderD128', 'card1'] },
    {
      devices: [
        { path: '/dev/dri/renderD128', type: 'c', major: 226, minor: 128, fileMode: 0o666, uid: 0, gid: 105 },
        { path: '/dev/dri/card1', type: 'c', major: 226, minor: 1, fileMode: 0o660, uid: 0, gid: 44 },
      ],
    },
  ),
  // nvidia.com/gpu=0 through the toolkit's CDI spec: nodes, a driver library, its env (the
  // capsule's own NVIDIA_DRIVER_CAPABILITIES wins) and the ldcache hook.
  'gpu-nvidia-cdi': input(
    { name: 'cuda', image: 'busybox', gpus: ['nvidia.com/gpu=0'], env: { NVIDIA_DRIVER_CAPABILITIES: 'compute' } },
    {
      devices: [
        { path: '/dev/nvidiactl', type: 'c', major: 195, minor: 255, fileMode: 0o666, uid: 0, gid: 0 },
        { path: '/dev/nvidia0', type: 'c', major: 195, minor: 0, fileMode: 0o666, uid: 0, gid: 0 },
      ],
      cdi: {
        mounts: [{ hostPath: '/usr/lib/x86_64-linux-gnu/libcuda.so.535.104.05', containerPath: '/usr/lib/x86_64-linux-gnu/libcuda.so.535.104.05', options: ['ro', 'nosuid', 'nodev', 'bind'] }],
        env: ['NVIDIA_VISIBLE_DEVICES=void', 'NVIDIA_DRIVER_CAPABILITIES=all'],
        hooks: [{ hookName: 'createContainer', path: '/usr/bin/nvidia-ctk', args: ['nvidia-ctk', 'hook', 'update-ldcache', '--folder', '/usr/lib/x86_64-linux-gnu'] }],
      },
    },
  ),
};

describe('buildOciConfig golden pairs', () => {
  it('has a dozen and more cases', () => {
    expect(Object.keys(cases).length).toBeGreaterThanOrEqual(12);
  });
  for (const [name, caseInput] of Object.entries(cases)) {
    it(name, () => {
      const actual = JSON.stringify(buildOciConfig(caseInput), null, 2) + '\n';
      const file = join(GOLDEN_DIR, `${name}.json`);
      if (process.env.UPDATE_GOLDEN === '1' || !existsSync(file)) {
        if (process.env.UPDATE_GOLDEN !== '1' && process.env.CI) throw new Error(`missing golden file ${file}`);
        mkdirSync(GOLDEN_DIR, { recursive: true });
        writeFileSync(file, actual);
      }
      expect(actual).toBe(readFileSync(file, 'utf8'));
    });
  }
});

describe('oci config rules', () => {
  it('refuses a capsule with nothing to run', () => {
    const i = input({ name: 'empty', image: 'x' }, { image: { ...busybox, cmd: [] } });
    try {
      capsuleArgs(i.spec, i.image);
      expect.unreachable();
    } catch (err) {
      expect(isNovaError(err, 'invalid_argument')).toBe(true);
    }
  });
  it('never gives a quota below the kernel floor', () => {
    expect(cpuLimit(0.001)).toEqual({ quota: 1000, period: 100000 });
    expect(cpuLimit(1.5)).toEqual({ quota: 150000, period: 100000 });
  });
  it('binds the host /sys only in a fresh user namespace that joins a network namespace', () => {
    const sysOf = (o: Partial<Omit<OciConfigInput, 'spec'>>) => buildOciConfig(input({ name: 'sys', image: 'busybox' }, o)).mounts.find((m) => m.destination === '/sys');
    const idMapping = { hostId: 1_000_000_000, size: 65536 };
    expect(sysOf({})?.type).toBe('sysfs');
    expect(sysOf({ idMapping })?.type).toBe('sysfs');
    expect(sysOf({ netnsPath: '/run/netns/x' })?.type).toBe('sysfs');
    expect(sysOf({ idMapping, netnsPath: '/run/netns/x' })).toMatchObject({ type: 'bind', source: '/sys', options: expect.arrayContaining(['rbind', 'ro']) });
    // The joined user namespace owns the network namespace: a fresh sysfs is allowed.
    expect(sysOf({ idMapping, netnsPath: '/run/netns/x', usernsPath: '/run/nova/userns/x' })?.type).toBe('sysfs');
  });
  it('joins the user namespace that owns the network namespace by path, keeping the mappings runc 1.1 needs', () => {
    const cfg = buildOciConfig(
      input({ name: 'joined', image: 'busybox' }, { idMapping: { hostId: 1_000_000_000, size: 65536 }, netnsPath: '/run/netns/x', usernsPath: '/run/nova/userns/x' }),
    );
    expect(cfg.linux.namespaces).toContainEqual({ type: 'user', path: '/run/nova/userns/x' });
    expect(cfg.linux.namespaces).toContainEqual({ type: 'network', path: '/run/netns/x' });
    expect(cfg.linux.uidMappings).toEqual([{ containerID: 0, hostID: 1_000_000_000, size: 65536 }]);
    // Without a user namespace, a user namespace path alone changes nothing.
    const plain = buildOciConfig(input({ name: 'joined', image: 'busybox' }, { netnsPath: '/run/netns/x', usernsPath: '/run/nova/userns/x' }));
    expect(plain.linux.namespaces).not.toContainEqual(expect.objectContaining({ type: 'user' }));
  });
  it('maps uids and gids alike and drops the tty gid only in a user namespace', () => {
    const cfg = buildOciConfig(input({ name: 'map', image: 'busybox' }, { idMapping: { hostId: 1_000_000_000, size: 65536 } }));
    expect(cfg.linux.uidMappings).toEqual([{ containerID: 0, hostID: 1_000_000_000, size: 65536 }]);
    expect(cfg.linux.gidMappings).toEqual(cfg.linux.uidMappings);
    expect(cfg.linux.namespaces).toContainEqual({ type: 'user' });
    expect(cfg.mounts.find((m) => m.destination === '/dev/pts')?.options).not.toContain('gid=5');
    const plain = buildOciConfig(input({ name: 'map', image: 'busybox' }));
    expect(plain.linux.uidMappings).toBeUndefined();
    expect(plain.linux.namespaces).not.toContainEqual({ type: 'user' });
  });
  it('keeps the runtime from creating namespaces inside (clone flags, unshare, setns)', () => {
    const cfg = buildOciConfig(input({ name: 'sec', image: 'busybox' }));
    const denied = cfg.linux.seccomp.syscalls.flatMap((r) => (r.args ? [] : r.names));
    expect(denied).toEqual(expect.arrayContaining(['unshare', 'setns', 'mount', 'ptrace', 'bpf', 'keyctl']));
    expect(cfg.linux.seccomp.syscalls.filter((r) => r.names.includes('clone')).length).toBe(7);
    expect(cfg.process.noNewPrivileges).toBe(true);
  });
});
