// The test seam is shut unless the helper was launched with NOVA_TEST_HOOKS=1.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CLOCK_OFFSET_FILE, helperClock, systemClock } from './snapshot-clock.js';

let dir = '';
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('helperClock', () => {
  it('moves by the offset file only with NOVA_TEST_HOOKS=1', async () => {
    dir = await mkdtemp(join(tmpdir(), 'nv9k-clock-'));
    await mkdir(join(dir, 'test-hooks'));
    const day = 86_400_000;
    await writeFile(join(dir, CLOCK_OFFSET_FILE), String(day));
    expect(helperClock(dir, {})).toBe(systemClock);
    expect(helperClock(dir, { NOVA_TEST_HOOKS: '0' })).toBe(systemClock);
    const moved = helperClock(dir, { NOVA_TEST_HOOKS: '1' }).now().getTime() - Date.now();
    expect(moved).toBeGreaterThan(day - 5_000);
    expect(moved).toBeLessThanOrEqual(day);
    await rm(join(dir, CLOCK_OFFSET_FILE));
    expect(Math.abs(helperClock(dir, { NOVA_TEST_HOOKS: '1' }).now().getTime() - Date.now())).toBeLessThan(5_000);
  });
});
