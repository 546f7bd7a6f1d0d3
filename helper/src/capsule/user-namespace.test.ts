// The user namespace rules without a host: the id range from /etc/subuid and /etc/subgid,
// the per-capsule decision, searchability of a directory for the shifted root, the probe
// container's config and the argv that shifts an image's ownership.
import { describe, expect, it } from 'vitest';
import { isNovaError } from '../../../src-shared/errors.js';
import { umociUnpackShiftedArgv } from './image-store.js';
import {
  chooseIdRange,
  decideUserNamespace,
  DEFAULT_ID_RANGE,
  mappingOf,
  netnsSysctlArgv,
  parseSubIds,
  searchableBy,
  userNamespaceNetworkProbeConfig,
  userNamespaceProbeConfig,
} from './user-namespace.js';

describe('id range', () => {
  it('parses subordinate id lines and skips the rest', () => {
    expect(parseSubIds('alice:100000:65536\n# comment\n\nbad line\nnova:2000000:65536\n')).toEqual([
      { owner: 'alice', start: 100000, count: 65536 },
      { owner: 'nova', start: 2000000, count: 65536 },
    ]);
  });
  it('takes the nova entry when both files have the same one', () => {
    const line = 'alice:100000:65536\nnova:2000000:131072\n';
    expect(chooseIdRange(line, line)).toEqual({ mapping: { hostId: 2000000, size: 65536 }, source: 'subid' });
  });
  it('refuses a nova entry in only one file, differing entries, or too small a range', () => {
    expect(chooseIdRange('nova:2000000:65536\n', '')).toMatchObject({ mapping: null, reason: expect.stringContaining('/etc/subgid has no "nova" entry') });
    expect(chooseIdRange('nova:2000000:65536\n', 'nova:3000000:65536\n')).toMatchObject({ mapping: null, reason: expect.stringContaining('differ') });
    expect(chooseIdRange('nova:2000000:1000\n', 'nova:2000000:1000\n')).toMatchObject({ mapping: null, reason: expect.stringContaining('at least 65536') });
  });
  it('falls back to the fixed default range unless another entry overlaps it', () => {
    expect(chooseIdRange('', '')).toEqual({ mapping: DEFAULT_ID_RANGE, source: 'default' });
    expect(chooseIdRange('alice:100000:65536\n', 'alice:100000:65536\n')).toEqual({ mapping: DEFAULT_ID_RANGE, source: 'default' });
    expect(chooseIdRange('', 'bob:1000030000:65536\n')).toMatchObject({ mapping: null, reason: expect.stringMatching(/overlaps "bob" in \/etc\/subgid/) });
  });
});

describe('per-capsule decision', () => {
  const allowed = { mapping: { hostId: 1_000_000_000, size: 65536 }, reason: null };
  const refused = { mapping: null, reason: 'the kernel allows no user namespaces' };
  it('uses a user namespace by default where the host allows', () => {
    const u = decideUserNamespace('c', undefined, allowed);
    expect(u).toEqual({ enabled: true, hostId: 1_000_000_000, size: 65536, reason: null });
    expect(mappingOf(u)).toEqual(allowed.mapping);
  });
  it('falls back with the host reason by default, and refuses when one is required', () => {
    expect(decideUserNamespace('c', undefined, refused)).toEqual({ enabled: false, hostId: null, size: null, reason: refused.reason });
    try {
      decideUserNamespace('c', true, refused);
      expect.unreachable();
    } catch (err) {
      expect(isNovaError(err, 'unsupported')).toBe(true);
      expect((err as Error).message).toContain(refused.reason);
    }
  });
  it('maps capsules on a network where the network probe passed', () => {
    const probed = { ...allowed, networkReason: null };
    expect(decideUserNamespace('c', undefined, probed, true)).toEqual({ enabled: true, hostId: 1_000_000_000, size: 65536, reason: null });
  });
  it('leaves capsules on a network out where the network probe failed, with its reason', () => {
    const failed = { ...allowed, networkReason: 'capsules on Nova networks run without one: runc could not join (EPERM)' };
    expect(decideUserNamespace('c', undefined, failed, false).enabled).toBe(true);
    expect(decideUserNamespace('c', undefined, failed, true)).toMatchObject({ enabled: false, reason: expect.stringMatching(/EPERM/) });
    expect(() => decideUserNamespace('c', true, failed, true)).toThrow(/EPERM/);
  });
  it('stays off when the capsule turns it off', () => {
    const u = decideUserNamespace('c', false, allowed);
    expect(u.enabled).toBe(false);
    expect(u.reason).toMatch(/turned off/);
    expect(mappingOf(u)).toBeNull();
  });
});

describe('searchable directories', () => {
  const m = { hostId: 1_000_000_000, size: 65536 };
  it('needs o+x on directories of other owners, u+x or g+x on the shifted ones', () => {
    expect(searchableBy({ uid: 0, gid: 0, mode: 0o40711 }, m)).toBe(true);
    expect(searchableBy({ uid: 0, gid: 0, mode: 0o40750 }, m)).toBe(false);
    expect(searchableBy({ uid: 1_000_000_000, gid: 0, mode: 0o40700 }, m)).toBe(true);
    expect(searchableBy({ uid: 0, gid: 1_000_000_005, mode: 0o40750 }, m)).toBe(true);
    expect(searchableBy({ uid: 1_000_065_536, gid: 0, mode: 0o40700 }, m)).toBe(false);
  });
});

describe('argv and probe config', () => {
  const m = { hostId: 1_000_000_000, size: 65536 };
  it('shifts an unpack with one map for uids and gids', () => {
    expect(umociUnpackShiftedArgv('umoci', '/s/oci', '/s/bundle-1000000000-65536.tmp/rootfs', m)).toEqual([
      'umoci', 'raw', 'unpack', '--uid-map', '0:1000000000:65536', '--gid-map', '0:1000000000:65536', '--image', '/s/oci:image', '/s/bundle-1000000000-65536.tmp/rootfs',
    ]);
  });
  it('lets every id ping and bind low ports in the capsule network namespace', () => {
    expect(netnsSysctlArgv('nova-web')).toEqual([
      'ip', 'netns', 'exec', 'nova-web', 'sysctl', '-q', '-w', 'net.ipv4.ping_group_range=0 2147483647', 'net.ipv4.ip_unprivileged_port_start=0',
    ]);
  });
  it('probes with the host-check bundle plus a user namespace and its mappings', () => {
    const cfg = userNamespaceProbeConfig(m, '/nova/nova-userns-probe-1') as { linux: Record<string, unknown> };
    expect(cfg.linux).toMatchObject({
      namespaces: expect.arrayContaining([{ type: 'user' }, { type: 'network' }]),
      uidMappings: [{ containerID: 0, hostID: 1_000_000_000, size: 65536 }],
      gidMappings: [{ containerID: 0, hostID: 1_000_000_000, size: 65536 }],
      cgroupsPath: '/nova/nova-userns-probe-1',
    });
  });
  it('probes a capsule on a network: user and network namespaces joined by path, the mappings kept, a fresh sysfs', () => {
    const cfg = userNamespaceNetworkProbeConfig(m, '/nova/p-net', '/run/nova/userns/p-net', '/run/netns/p-net') as { mounts: unknown[]; linux: Record<string, unknown> };
    expect(cfg.linux).toMatchObject({
      namespaces: [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, { type: 'network', path: '/run/netns/p-net' }, { type: 'user', path: '/run/nova/userns/p-net' }],
      uidMappings: [{ containerID: 0, hostID: 1_000_000_000, size: 65536 }],
      gidMappings: [{ containerID: 0, hostID: 1_000_000_000, size: 65536 }],
      cgroupsPath: '/nova/p-net',
    });
    expect(cfg.mounts).toContainEqual({ destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] });
  });
});
