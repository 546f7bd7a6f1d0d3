import { describe, expect, it } from 'vitest';
import { sshArgv, sshOptionsFromEnv } from './ssh-command.js';

describe('the ssh command line', () => {
  it('is exactly this for a user, a port and a config file', () => {
    expect(sshArgv({ kind: 'ssh', user: 'admin', host: 'closet.lan', port: 2222 }, { batch: true, connectTimeoutS: 10, configFile: '/tmp/cfg' })).toEqual([
      'ssh', '-T', '-x', '-a', '-F', '/tmp/cfg',
      '-o', 'ConnectTimeout=10', '-o', 'ServerAliveInterval=15', '-o', 'ServerAliveCountMax=4', '-o', 'BatchMode=yes',
      '-p', '2222', '-l', 'admin', '--', 'closet.lan', 'nova', 'connect',
    ]);
  });

  it('leaves prompts, user and port to OpenSSH when not given, and never touches host-key checking', () => {
    const argv = sshArgv({ kind: 'ssh', host: '10.0.0.2' }, { batch: false, connectTimeoutS: 5 });
    expect(argv).toEqual(['ssh', '-T', '-x', '-a', '-o', 'ConnectTimeout=5', '-o', 'ServerAliveInterval=15', '-o', 'ServerAliveCountMax=4', '--', '10.0.0.2', 'nova', 'connect']);
    expect(argv.join(' ')).not.toMatch(/StrictHostKeyChecking|UserKnownHostsFile/);
  });

  it("carries a console request after nova connect, on its own channel", () => {
    expect(sshArgv({ kind: 'ssh', host: '10.0.0.2' }, { batch: true, connectTimeoutS: 5 }, ['--console', 'vnc', 'g1']).slice(-7)).toEqual(['--', '10.0.0.2', 'nova', 'connect', '--console', 'vnc', 'g1']);
  });

  it('takes the config file and a sane connect timeout from the environment', () => {
    expect(sshOptionsFromEnv({ NOVA_SSH_CONFIG: '/c', NOVA_SSH_CONNECT_TIMEOUT: '3' }, true)).toEqual({ batch: true, connectTimeoutS: 3, configFile: '/c' });
    expect(sshOptionsFromEnv({ NOVA_SSH_CONNECT_TIMEOUT: 'soon' }, false)).toEqual({ batch: false, connectTimeoutS: 10 });
  });
});
