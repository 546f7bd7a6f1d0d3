// The virtiofsd command lines, exact (golden): the private mount namespace's holder, the
// mounts made in it, and the daemon dropped to the VM's user inside a user namespace, or
// run as root for root's VMs; and which processes count as a VM's daemons.
import { describe, expect, it } from 'vitest';
import { buildVirtiofsdArgv, mountHolderArgv, shareMountArgvs, virtiofsdArgvIn, virtiofsdPaths } from './virtiofsd.js';

const paths = virtiofsdPaths('/run/nova/vms/web', '/var/lib/nova/vms/web', 'share1');
const user = { uid: 1000, gid: 1001 };

describe('virtiofsd command lines', () => {
  it('keeps its socket in the runtime dir and its mount point and log in the VM folder', () => {
    expect(paths).toEqual({ socket: '/run/nova/vms/web/fs-share1.sock', mountPoint: '/var/lib/nova/vms/web/fs-share1', logFile: '/var/lib/nova/vms/web/virtiofsd-share1.log' });
  });

  it('holds a private mount namespace with cat', () => {
    expect(mountHolderArgv()).toEqual(['unshare', '--mount', '--propagation', 'private', '--', 'cat']);
  });

  it('mounts the folder in the holder namespace, read-only when asked, with a lock dir of the user own', () => {
    expect(shareMountArgvs(4242, '/home/u/src', paths, true, user)).toEqual([
      ['nsenter', '--target=4242', '--mount', '--', 'mount', '--bind', '/home/u/src', '/var/lib/nova/vms/web/fs-share1'],
      ['nsenter', '--target=4242', '--mount', '--', 'mount', '-o', 'remount,bind,ro', '/var/lib/nova/vms/web/fs-share1'],
      ['nsenter', '--target=4242', '--mount', '--', 'mount', '-t', 'tmpfs', '-o', 'mode=0700,uid=1000,gid=1001,size=256k', 'nova-virtiofsd', '/run/virtiofsd'],
    ]);
    const rw = shareMountArgvs(4242, '/home/u/src', paths, false, null);
    expect(rw.map((a) => a.slice(4, 7))).toEqual([['mount', '--bind', '/home/u/src'], ['mount', '-t', 'tmpfs']]);
    expect(rw[1]).toContain('mode=0700,uid=0,gid=0,size=256k');
  });

  it("runs the daemon as the VM's user in a user namespace of its own, or as root for root's VMs", () => {
    expect(buildVirtiofsdArgv(4242, paths, user)).toEqual([
      'nsenter', '--target=4242', '--mount', '--',
      'setpriv', '--reuid=1000', '--regid=1001', '--clear-groups', '--no-new-privs', '--',
      'unshare', '--user', '--map-root-user', '--',
      '/usr/lib/qemu/virtiofsd', '--socket-path=/run/nova/vms/web/fs-share1.sock', '-o', 'source=/var/lib/nova/vms/web/fs-share1', '-o', 'sandbox=namespace', '-o', 'cache=auto', '--rlimit-nofile=0',
    ]);
    expect(buildVirtiofsdArgv(4242, paths, null)).toEqual([
      'nsenter', '--target=4242', '--mount', '--',
      '/usr/lib/qemu/virtiofsd', '--socket-path=/run/nova/vms/web/fs-share1.sock', '-o', 'source=/var/lib/nova/vms/web/fs-share1', '-o', 'sandbox=namespace', '-o', 'cache=auto', '--rlimit-nofile=0',
    ]);
  });

  it("counts only a virtiofsd whose socket lies in the VM's runtime dir as that VM's", () => {
    const daemon = buildVirtiofsdArgv(1, paths, null).slice(4);
    expect(virtiofsdArgvIn(daemon, '/run/nova/vms/web')).toBe(true);
    expect(virtiofsdArgvIn(daemon, '/run/nova/vms/we')).toBe(false);
    expect(virtiofsdArgvIn(['/usr/bin/cat', '--socket-path=/run/nova/vms/web/x'], '/run/nova/vms/web')).toBe(false);
  });
});
