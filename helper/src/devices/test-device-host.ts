// A helper whose devices are a test's fake host: NOVA_TEST_DEVICE_ROOT names a tree a
// test built with FakeSysfs, and the helper reads it and writes through the FakeKernel
// model, keeping the write log in <root>/write-log.json for the test to read. Honoured
// only with NOVA_TEST_HOOKS=1 (a helper given it without refuses to start), so no caller
// can point a helper it did not launch at another tree. Uevents there are the lines a
// test appends to <root>/uevents (FakeSysfs.uevent), in udevadm monitor's format.
import { writeFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { NovaError } from '../../../src-shared/errors.js';
import type { HostRoots } from '../host-check/host-probe-env.js';
import type { HostIO } from './host-io.js';
import { fileUevents, type UeventSource } from './uevent-monitor.js';

export const TEST_WRITE_LOG = 'write-log.json';
export const TEST_UEVENTS = 'uevents';

export async function testDeviceHost(env: NodeJS.ProcessEnv): Promise<{ roots: HostRoots; io: HostIO; uevents: UeventSource } | null> {
  const root = env.NOVA_TEST_DEVICE_ROOT;
  if (root === undefined || root === '') return null;
  if (env.NOVA_TEST_HOOKS !== '1') throw new NovaError('invalid_argument', 'NOVA_TEST_DEVICE_ROOT is set but NOVA_TEST_HOOKS=1 is not: test hooks are refused in this helper');
  if (!isAbsolute(root)) throw new NovaError('invalid_argument', 'NOVA_TEST_DEVICE_ROOT must be an absolute path');
  const { FakeKernel } = await import('./testing/fake-kernel.js');
  const { FakeSysfs } = await import('./testing/fake-sysfs.js');
  const kernel = new FakeKernel(new FakeSysfs({ existing: root }));
  const io = kernel.io();
  const logged = <A extends unknown[]>(fn: (...args: A) => Promise<void>) => async (...args: A) => {
    try {
      await fn(...args);
    } finally {
      writeFileSync(join(root, TEST_WRITE_LOG), JSON.stringify(kernel.log(), null, 1));
    }
  };
  return {
    roots: { rootDir: root, procRoot: join(root, 'proc'), sysRoot: join(root, 'sys'), devRoot: join(root, 'dev'), etcRoot: join(root, 'etc') },
    io: { ...io, writeAttr: logged(io.writeAttr), chown: logged(io.chown) },
    uevents: fileUevents(join(root, TEST_UEVENTS)),
  };
}
