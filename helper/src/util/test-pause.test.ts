import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { configureTestPause, pauseAt } from './test-pause.js';

const dirs: string[] = [];
afterEach(async () => {
  configureTestPause({});
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

describe('test pause points', () => {
  it('are no-ops when nothing is configured', async () => {
    configureTestPause({});
    await expect(pauseAt('vm-start:after-tap')).resolves.toBeUndefined();
  });

  it('refuse a pause without NOVA_TEST_HOOKS=1, an unknown step, or no signal file', () => {
    expect(() => configureTestPause({ NOVA_TEST_PAUSE_AT: 'vm-start:after-tap', NOVA_TEST_PAUSE_SIGNAL: '/tmp/x' })).toThrow(/NOVA_TEST_HOOKS=1/);
    expect(() => configureTestPause({ NOVA_TEST_HOOKS: '1', NOVA_TEST_PAUSE_AT: 'vm-start:somewhere', NOVA_TEST_PAUSE_SIGNAL: '/tmp/x' })).toThrow(/names no step/);
    expect(() => configureTestPause({ NOVA_TEST_HOOKS: '1', NOVA_TEST_PAUSE_AT: 'vm-start:after-tap' })).toThrow(/NOVA_TEST_PAUSE_SIGNAL/);
  });

  it('stop at the armed step only, after writing the signal file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nv4s-pause-'));
    dirs.push(dir);
    const file = join(dir, 'paused');
    configureTestPause({ NOVA_TEST_HOOKS: '1', NOVA_TEST_PAUSE_AT: 'capsule-start:after-create', NOVA_TEST_PAUSE_SIGNAL: file });
    await expect(pauseAt('capsule-start:after-mount')).resolves.toBeUndefined();
    const paused = pauseAt('capsule-start:after-create');
    const outcome = await Promise.race([paused.then(() => 'returned'), new Promise((r) => setTimeout(() => r('still paused'), 50))]);
    expect(outcome).toBe('still paused');
    expect(await readFile(file, 'utf8')).toBe(`capsule-start:after-create ${process.pid}\n`);
  });
});
