// Starts the real helper and web mode once for the whole run and hands their address
// to the workers through the environment; the returned function is Playwright's
// teardown, which runs even when tests fail. A failed start cleans up before it throws.
import { fileURLToPath } from 'node:url';
import type { FullConfig } from '@playwright/test';
import { removeEmptyNovaCgroups } from '../helper/system-tests/cgroup-cleanup.js';
import { NovaStack } from './support/nova-stack.js';
import { STACK_ENV } from './support/stack-env.js';

export default async function globalSetup(_config: FullConfig): Promise<() => Promise<void>> {
  const stack = new NovaStack({
    repoRoot: fileURLToPath(new URL('..', import.meta.url)),
    artifactsDir: fileURLToPath(new URL('./artifacts', import.meta.url)),
    name: 'shared',
    // For trying a renderer build that is not (yet) in out/renderer.
    rendererDir: process.env.NOVA_E2E_RENDERER_DIR,
  });
  try {
    const info = await stack.start();
    process.env[STACK_ENV] = JSON.stringify(info);
  } catch (err) {
    await stack.stop();
    throw err;
  }
  return async () => {
    try {
      await stack.stop();
    } finally {
      removeEmptyNovaCgroups();
    }
  };
}
