import { describe, expect, it } from 'vitest';
import { buildSwtpmArgv, swtpmArgvIsVm } from './swtpm.js';

const paths = { stateDir: '/var/lib/nova/vms/win/tpm', ctrlSocket: '/run/nova/win/swtpm.sock', pidFile: '/run/nova/win/swtpm.pid', logFile: '/var/lib/nova/vms/win/swtpm.log' };

describe('swtpm command line', () => {
  it('is exactly this: TPM 2.0, state in the VM folder, control socket for QEMU, ends with QEMU', () => {
    expect(buildSwtpmArgv(paths)).toEqual([
      'swtpm', 'socket', '--tpm2',
      '--tpmstate', 'dir=/var/lib/nova/vms/win/tpm,mode=0600',
      '--ctrl', 'type=unixio,path=/run/nova/win/swtpm.sock,mode=0600',
      '--pid', 'file=/run/nova/win/swtpm.pid',
      '--log', 'file=/var/lib/nova/vms/win/swtpm.log,level=1',
      '--terminate',
    ]);
  });

  it('refuses a path with a comma, which swtpm would split', () => {
    expect(() => buildSwtpmArgv({ ...paths, stateDir: '/srv/a,b/tpm' })).toThrow(/comma/);
  });

  it('is recognised as its VM by the state dir alone, never another VM of a similar name', () => {
    const argv = buildSwtpmArgv(paths);
    expect(swtpmArgvIsVm(argv, paths.stateDir)).toBe(true);
    expect(swtpmArgvIsVm(argv, '/var/lib/nova/vms/wi/tpm')).toBe(false);
    expect(swtpmArgvIsVm(['/usr/bin/swtpm', ...argv.slice(1)], paths.stateDir)).toBe(true);
    expect(swtpmArgvIsVm(['qemu-system-x86_64', ...argv.slice(1)], paths.stateDir)).toBe(false);
  });
});
