// Snapshot schedules run by the real helper on real snapshots: a capsule with an hourly
// policy, the helper's clock moved hour by hour through its test seam (an offset it reads
// only when launched with NOVA_TEST_HOOKS=1), takes scheduled snapshots named after their
// slot, prunes them by keep_hourly while the one taken by hand and the keep-forever one
// stay; `nova snapshot prune --dry-run` lists what would go and why, without it removes it;
// a VM whose snapshot cannot be taken (no qcow2 disk) raises snapshot.scheduleFailed.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HelperClient } from '../../src-main/core/helper-client.js';
import type { NovaEvent } from '../../src-shared/api/events.js';
import { CLOCK_OFFSET_FILE } from '../src/snapshots/snapshot-clock.js';
import { makeBusyboxRootfs, removeHelperCapsuleState } from './fixtures/capsule-harness.js';
import { ensureTestGuest } from './fixtures/guest-builder.js';
import { waitFor } from './fixtures/wait-for.js';
import { CLI_BUNDLE, makeTestDir, startHelper, type RunningHelper } from './helper-harness.js';

const RUN = randomBytes(3).toString('hex');
const IMAGE = `nv9k-${RUN}-busybox`;
const CAPSULE = `nv9k-${RUN}-c`;
const VM = `nv9k-${RUN}-vm`;
let dir = '';
let helper: RunningHelper | null = null;
let client: HelperClient;
const events: NovaEvent[] = [];

/** 2026-12-06 local, at `hour`:30, as the helper's clock reads it from now on. */
async function setHelperClock(hour: number): Promise<void> {
  const target = new Date(2026, 11, 6, hour, 30).getTime();
  const file = join(helper!.stateDir, CLOCK_OFFSET_FILE);
  await mkdir(join(file, '..'), { recursive: true });
  await writeFile(file, String(target - Date.now()));
}

const snapshotNames = async () => (await client.call('capsule.snapshotList', { name: CAPSULE })).snapshots.map((s) => s.name).sort();

async function nova(...args: string[]) {
  const r = await execa(process.execPath, [CLI_BUNDLE, '--socket', helper?.socketPath ?? '', '--no-autostart', ...args], { reject: false, timeout: 120_000, env: { NO_COLOR: '1' } });
  return { status: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

beforeAll(async () => {
  dir = await makeTestDir(`nv9k-${RUN}`);
  const tar = await makeBusyboxRootfs(dir);
  const guest = await ensureTestGuest();
  helper = await startHelper(dir, {
    env: { NOVA_TEST_HOOKS: '1' },
    extraArgs: ['--run-dir', join(dir, 'run'), '--allowed-root', dir, '--allowed-root', '/var/cache/nova-test-guest', '--oci-runtime', 'runc'],
  });
  client = new HelperClient({ socketPath: helper.socketPath, reconnect: false });
  client.onEvent((e) => events.push(e));
  client.start();
  await client.waitForConnection();
  await client.call('events.subscribe', {});
  await client.call('ociImage.import', { path: tar, name: IMAGE });
  await client.call('capsule.create', { name: CAPSULE, image: IMAGE, command: ['sleep', '600'] });
  await client.call('vm.create', { name: VM, kernel: guest.vmlinux, initrd: guest.initrdPlain, cmdline: guest.cmdline, memory: 128, accel: 'tcg', display: 'none', network: 'none' });
}, 600_000);

afterAll(async () => {
  try {
    await client?.call('vm.delete', { name: VM, force: true }).catch(() => undefined);
    await client?.call('capsule.delete', { name: CAPSULE, force: true }).catch(() => undefined);
  } finally {
    client?.close();
    await helper?.stop();
    if (dir) await removeHelperCapsuleState(dir, [CAPSULE]);
  }
}, 120_000);

describe('snapshot schedules in the helper', () => {
  it('takes hourly snapshots of a capsule as its clock moves, and prunes them by keep_hourly', async () => {
    await client.call('capsule.snapshotCreate', { name: CAPSULE, snapshot: 'by-hand' });
    await client.call('capsule.snapshotCreate', { name: CAPSULE, snapshot: 'pinned', keepForever: true });
    await setHelperClock(10);
    const set = await client.call('capsule.snapshotPolicySet', { name: CAPSULE, policy: { schedule: 'hourly', keep: { hourly: 2 } } });
    expect(set?.nextRun).toBe(new Date(2026, 11, 6, 11, 0).toISOString());

    for (const hour of [11, 12, 13]) {
      await setHelperClock(hour);
      const slot = `auto-2026-12-06-${hour}00`;
      await waitFor(async () => (await snapshotNames()).includes(slot), 60_000, `scheduled snapshot ${slot}`);
    }
    // 11:00 went when 13:00 came: keep_hourly 2 keeps 12:00 and 13:00.
    await waitFor(async () => !(await snapshotNames()).includes('auto-2026-12-06-1100'), 30_000, 'auto-2026-12-06-1100 pruned');
    const list = (await client.call('capsule.snapshotList', { name: CAPSULE })).snapshots;
    expect(list.map((s) => s.name).sort()).toEqual(['auto-2026-12-06-1200', 'auto-2026-12-06-1300', 'by-hand', 'pinned']);
    expect(list.find((s) => s.name === 'auto-2026-12-06-1300')).toMatchObject({ scheduled: true });
    expect(list.find((s) => s.name === 'pinned')).toMatchObject({ keepForever: true });
    expect(list.find((s) => s.name === 'by-hand')?.scheduled).toBeUndefined();
    expect(existsSync(join(helper!.stateDir, 'snapshot-policies', 'capsule', `${CAPSULE}.json`))).toBe(true);
  }, 240_000);

  it('nova snapshot prune --dry-run lists what would go and why; without it, removes it', async () => {
    await client.call('capsule.snapshotPolicySet', { name: CAPSULE, policy: { schedule: 'hourly', keep: { hourly: 1 } } });
    const dry = await nova('snapshot', 'prune', CAPSULE, '--dry-run');
    expect(dry.stderr).toBe('');
    expect(dry.stdout).toContain(`capsule ${CAPSULE}: would remove 1, keeps 3\n`);
    expect(dry.stdout).toMatch(/ {2}- auto-2026-12-06-1200 +not kept by keep_hourly 1\n/);
    expect(dry.stdout).toMatch(/pinned +kept: keep forever/);
    expect(await snapshotNames()).toContain('auto-2026-12-06-1200');
    const real = await nova('snapshot', 'prune', CAPSULE);
    expect(real.status).toBe(0);
    expect(real.stdout).toContain(`capsule ${CAPSULE}: removed 1, keeps 3\n`);
    expect(await snapshotNames()).toEqual(['auto-2026-12-06-1300', 'by-hand', 'pinned']);
  }, 120_000);

  it('refuses a schedule that does not parse and a count below zero', async () => {
    await expect(client.call('capsule.snapshotPolicySet', { name: CAPSULE, policy: { schedule: 'every day' } })).rejects.toMatchObject({ code: 'invalid_argument' });
    await expect(client.call('vm.snapshotPolicySet', { name: VM, policy: { keep: { daily: -1 } } })).rejects.toMatchObject({ code: 'invalid_argument' });
  });

  it('reports a scheduled snapshot that fails as an event', async () => {
    await client.call('vm.snapshotPolicySet', { name: VM, policy: { schedule: 'hourly', keep: { hourly: 2 } } });
    await setHelperClock(14);
    const failed = await waitFor(async () => events.find((e) => e.name === 'snapshot.scheduleFailed') ?? null, 60_000, 'snapshot.scheduleFailed');
    expect(failed.payload).toMatchObject({ kind: 'vm', name: VM, snapshot: 'auto-2026-12-06-1400' });
    expect(failed.name === 'snapshot.scheduleFailed' && failed.payload.message).toMatch(/no qcow2 disk/);
  }, 120_000);
});
