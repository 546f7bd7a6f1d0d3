import { describe, expect, it } from 'vitest';
import { isNovaError } from '../../../src-shared/errors.js';
import { silentLogger } from '../util/logger.js';
import { pkcheckArgv, PolkitAuthorizer, type RunPkcheck } from './authorizer.js';

const user = { pid: 4242, uid: 1000, gid: 1000, startTime: '777' };

function authorizerWith(run: RunPkcheck) {
  const calls: string[][] = [];
  const authorizer = new PolkitAuthorizer(async (argv) => {
    calls.push(argv);
    return run(argv);
  }, silentLogger());
  return { authorizer, calls };
}

async function denial(p: Promise<void>) {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a denial');
}

describe('PolkitAuthorizer', () => {
  it('allows root without asking polkit', async () => {
    const { authorizer, calls } = authorizerWith(async () => ({ exitCode: 1, stderr: '' }));
    await authorizer.authorize({ ...user, uid: 0 }, 'org.nova.vm.manage');
    expect(calls).toEqual([]);
  });

  it('asks pkcheck with pid, start time and uid, and allows on exit 0', async () => {
    const { authorizer, calls } = authorizerWith(async () => ({ exitCode: 0, stderr: '' }));
    await authorizer.authorize(user, 'org.nova.network.manage');
    expect(calls).toEqual([pkcheckArgv(user, 'org.nova.network.manage')]);
  });

  it.each([
    [1, 'polkit does not allow it'],
    [2, 'authentication is required'],
    [3, 'dismissed'],
    [127, 'polkit check failed'],
  ])('denies on pkcheck exit %i', async (exitCode, reason) => {
    const { authorizer } = authorizerWith(async () => ({ exitCode, stderr: '' }));
    const err = await denial(authorizer.authorize(user, 'org.nova.vm.manage'));
    expect(isNovaError(err, 'not_authorized')).toBe(true);
    expect((err as Error).message).toContain(reason);
  });

  it('tells a refused caller what would let them in, by action', async () => {
    const { authorizer } = authorizerWith(async () => ({ exitCode: 2, stderr: '' }));
    const manage = await denial(authorizer.authorize(user, 'org.nova.vm.manage'));
    expect((manage as Error).message).toMatch(/^Not authorized: org\.nova\.vm\.manage for uid \d+: authentication is required.*\. Changing VMs needs an administrator's password or membership in the nova group\.$/);
    const passthrough = await denial(authorizer.authorize(user, 'org.nova.device.passthrough'));
    expect((passthrough as Error).message).toMatch(/needs an administrator's password each time\.$/);
    expect((passthrough as Error).message).not.toMatch(/nova group/);
    const view = await denial(authorizer.authorize(user, 'org.nova.capsule.view'));
    expect((view as Error).message).toMatch(/Seeing capsules is allowed to the active local desktop session/);
  });

  it('does not send a caller to the nova group when polkit could not be asked at all', async () => {
    const { authorizer } = authorizerWith(async () => ({ exitCode: 127, stderr: 'no bus' }));
    const err = await denial(authorizer.authorize(user, 'org.nova.vm.manage'));
    expect((err as Error).message).toMatch(/polkit check failed \(no bus\)$/);
  });

  it('fails closed when pkcheck cannot run', async () => {
    const { authorizer } = authorizerWith(async () => {
      throw new Error('ENOENT');
    });
    const err = await denial(authorizer.authorize(user, 'org.nova.host.inspect'));
    expect(isNovaError(err, 'not_authorized')).toBe(true);
  });

  it('denies a caller whose start time is unknown instead of asking with a bare pid', async () => {
    const { authorizer, calls } = authorizerWith(async () => ({ exitCode: 0, stderr: '' }));
    const err = await denial(authorizer.authorize({ ...user, startTime: null }, 'org.nova.host.inspect'));
    expect(isNovaError(err, 'not_authorized')).toBe(true);
    expect(calls).toEqual([]);
  });
});

describe('pkcheckArgv (golden)', () => {
  it('names the process as pid,start-time,uid', () => {
    expect(pkcheckArgv(user, 'org.nova.device.passthrough')).toEqual([
      'pkcheck',
      '--action-id',
      'org.nova.device.passthrough',
      '--process',
      '4242,777,1000',
      '--allow-user-interaction',
    ]);
  });
});
