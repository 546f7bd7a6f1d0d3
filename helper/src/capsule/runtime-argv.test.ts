// Golden argv for the runtime, mount and tar calls the capsule manager makes.
import { describe, expect, it } from 'vitest';
import * as a from './runtime-argv.js';

describe('runtime argv', () => {
  it('keeps the runtime state under --root', () => {
    expect(a.killArgv('/usr/sbin/runc', '/s/runc', 'nova-web', 'SIGTERM')).toEqual(['/usr/sbin/runc', '--root', '/s/runc', 'kill', 'nova-web', 'SIGTERM']);
    expect(a.killArgv('runc', 'r', 'c', 'SIGKILL', true)).toEqual(['runc', '--root', 'r', 'kill', '--all', 'c', 'SIGKILL']);
    expect(a.deleteArgv('runc', 'r', 'c')).toEqual(['runc', '--root', 'r', 'delete', '--force', 'c']);
    expect(a.pauseArgv('runc', 'r', 'c')).toEqual(['runc', '--root', 'r', 'pause', 'c']);
    expect(a.resumeArgv('runc', 'r', 'c')).toEqual(['runc', '--root', 'r', 'resume', 'c']);
    expect(a.startArgv('runc', 'r', 'c')).toEqual(['runc', '--root', 'r', 'start', 'c']);
    expect(a.runArgv('runc', 'r', '/b', 'c')).toEqual(['runc', '--root', 'r', 'run', '--bundle', '/b', 'c']);
  });
  it('execs with env, cwd and a terminal', () => {
    expect(a.execArgv('runc', 'r', 'c', ['sh', '-c', 'echo $A'], { tty: false, env: { A: '1' }, cwd: '/tmp' })).toEqual([
      'runc', '--root', 'r', 'exec', '--env', 'A=1', '--cwd', '/tmp', 'c', 'sh', '-c', 'echo $A',
    ]);
    expect(a.execArgv('runc', 'r', 'c', ['/bin/sh'], { tty: true, user: '1000:1000' })).toEqual(['runc', '--root', 'r', 'exec', '--tty', '--user', '1000:1000', 'c', '/bin/sh']);
  });
  it('mounts the overlay and archives the writable layer', () => {
    expect(a.overlayMountArgv('/i/rootfs', '/c/upper', '/c/work', '/c/bundle/rootfs')).toEqual([
      'mount', '-t', 'overlay', 'overlay', '-o', 'lowerdir=/i/rootfs,upperdir=/c/upper,workdir=/c/work', '/c/bundle/rootfs',
    ]);
    expect(a.umountArgv('/c/bundle/rootfs')).toEqual(['umount', '/c/bundle/rootfs']);
    expect(a.copyTreeArgv('/i/rootfs', '/c/bundle/rootfs')).toEqual(['cp', '--archive', '--reflink=auto', '--no-target-directory', '/i/rootfs', '/c/bundle/rootfs']);
    expect(a.tarCreateArgv('/c/s/a.tar', '/c/upper')).toEqual(['tar', '--create', '--file', '/c/s/a.tar', '--numeric-owner', '--xattrs', '--xattrs-include=*', '--directory', '/c/upper', '.']);
    expect(a.tarExtractArgv('/c/s/a.tar', '/c/upper')).toEqual([
      'tar', '--extract', '--file', '/c/s/a.tar', '--numeric-owner', '--xattrs', '--xattrs-include=*', '--same-permissions', '--directory', '/c/upper',
    ]);
  });
});
