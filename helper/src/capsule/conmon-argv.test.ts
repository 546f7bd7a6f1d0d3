// Golden command line of conmon for one capsule run: every flag Nova relies on (one
// process, the runtime and its log, the k8s-file log, the persist dir, fifos in the bundle),
// and the argv nova-runtime-run hands the real runtime.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { conmonArgv, REOPEN_LOG_REQUEST, type ConmonSpec } from './conmon-argv.js';

const spec: ConmonSpec = {
  conmon: 'conmon',
  runtimeWrapper: '/usr/lib/nova/helper/nova-runtime-run',
  runtime: '/usr/sbin/runc',
  runtimeRoot: '/var/lib/nova/runc',
  runtimeLog: '/var/lib/nova/capsules/web/run/runtime.log',
  containerId: 'nova-web',
  bundle: '/var/lib/nova/capsules/web/bundle',
  pidFile: '/var/lib/nova/capsules/web/run/container.pid',
  persistDir: '/var/lib/nova/capsules/web/run',
  logFile: '/var/lib/nova/capsules/web/logs/capsule.log',
};

describe('conmon argv', () => {
  it('runs the runtime through nova-runtime-run, its state and log under the state dir, and logs to the capsule log', () => {
    expect(conmonArgv(spec)).toEqual([
      'conmon',
      '--sync',
      '--cid', 'nova-web',
      '--cuuid', 'nova-web',
      '--name', 'nova-web',
      '--runtime', '/usr/lib/nova/helper/nova-runtime-run',
      '--runtime-arg', '/usr/sbin/runc',
      '--runtime-arg', '--root',
      '--runtime-arg', '/var/lib/nova/runc',
      '--runtime-arg', '--log',
      '--runtime-arg', '/var/lib/nova/capsules/web/run/runtime.log',
      '--runtime-arg', '--log-format',
      '--runtime-arg', 'json',
      '--bundle', '/var/lib/nova/capsules/web/bundle',
      '--container-pidfile', '/var/lib/nova/capsules/web/run/container.pid',
      '--log-path', 'k8s-file:/var/lib/nova/capsules/web/logs/capsule.log',
      '--persist-dir', '/var/lib/nova/capsules/web/run',
      '--full-attach',
      '--no-sync-log',
    ]);
  });

  it('refuses a log path conmon would split at its colon', () => {
    expect(() => conmonArgv({ ...spec, logFile: '/srv/a:b/capsule.log' })).toThrow(/may not contain ":"/);
  });

  it('asks for a log reopen with the control message conmon reads (type 2)', () => {
    expect(REOPEN_LOG_REQUEST).toBe('2 0 0\n');
  });
});

describe('nova-runtime-run', () => {
  const script = fileURLToPath(new URL('./nova-runtime-run', import.meta.url));
  const run = (...args: string[]) => execFileSync(script, ['/bin/echo', ...args], { encoding: 'utf8' });

  it('makes conmon\'s create a run --detach, once, and passes the rest as it is', () => {
    expect(run('--root', '/s/runc', '--log', '/s/l', 'create', '--bundle', '/s/a b', '--pid-file', '/s/p', 'nova-create')).toBe(
      '--root /s/runc --log /s/l run --detach --bundle /s/a b --pid-file /s/p nova-create\n',
    );
  });

  it('leaves any other call to the runtime alone', () => {
    expect(run('--root', '/s/runc', 'delete', '--force', 'nova-create')).toBe('--root /s/runc delete --force nova-create\n');
  });
});
