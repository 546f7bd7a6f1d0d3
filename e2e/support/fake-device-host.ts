// A helper and web mode on a fake device host: the FakeSysfs tree a spec builds, given to
// the helper as NOVA_TEST_DEVICE_ROOT (it reads the tree and writes through the kernel
// model), stopped and removed after the test even when it fails.
import { fileURLToPath } from 'node:url';
import type { FakeSysfs } from '../../helper/src/devices/testing/fake-sysfs.js';
import { NovaStack, type NovaStackInfo } from './nova-stack.js';

export interface FakeDeviceHost {
  info: NovaStackInfo;
  fs: FakeSysfs;
}

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));

export async function withFakeDeviceHost(name: string, fs: FakeSysfs, use: (host: FakeDeviceHost) => Promise<void>): Promise<void> {
  const stack = new NovaStack({
    repoRoot: REPO,
    artifactsDir: ARTIFACTS,
    name,
    rendererDir: process.env.NOVA_E2E_RENDERER_DIR,
    helperEnv: { NOVA_TEST_HOOKS: '1', NOVA_TEST_DEVICE_ROOT: fs.root },
  });
  try {
    await use({ info: await stack.start(), fs });
  } finally {
    await stack.stop();
    fs.cleanup();
  }
}
