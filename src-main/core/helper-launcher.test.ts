import { describe, expect, it } from 'vitest';
import { helperLaunchArgv } from './helper-launcher.js';

const base = { socketPath: '/run/nova/helper.sock', stateDir: '/var/lib/nova', helperScript: '/opt/nova/out/helper/nova-helper.mjs', nodePath: '/usr/bin/node' };

describe('helperLaunchArgv (golden)', () => {
  it('starts the helper directly when the caller is root', () => {
    expect(helperLaunchArgv({ ...base, uid: 0 })).toEqual([
      '/usr/bin/node',
      '/opt/nova/out/helper/nova-helper.mjs',
      '--socket',
      '/run/nova/helper.sock',
      '--state-dir',
      '/var/lib/nova',
    ]);
  });

  it('goes through pkexec for everyone else, so polkit asks for an administrator', () => {
    expect(helperLaunchArgv({ ...base, uid: 1000 })).toEqual([
      'pkexec',
      '/usr/bin/node',
      '/opt/nova/out/helper/nova-helper.mjs',
      '--socket',
      '/run/nova/helper.sock',
      '--state-dir',
      '/var/lib/nova',
    ]);
  });
});
