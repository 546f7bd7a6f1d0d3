// "Kill" while a capsule's stop waits out its grace period for a process that ignores
// SIGTERM: the forced stop does not queue behind the waiting one (as the UI's countdown
// button needs), both answer at once, and the capsule is stopped, killed by SIGKILL, with
// its exit recorded as the stop the user asked for. Without the cut, the kill would wait
// the full minute. Real helper, real runc.
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeBusyboxRootfs } from './fixtures/capsule-harness.js';
import { startCapsuleHelper, stopCapsuleHelper, type CapsuleHelper } from './fixtures/capsule-helper.js';
import { waitFor } from './fixtures/wait-for.js';
import { makeTestDir } from './helper-harness.js';

const RUN = randomBytes(3).toString('hex');
const CAPSULE = `nv16c-kill-${RUN}`;
const IMAGE = `nv16c-kill-${RUN}-busybox`;
const GRACE_SEC = 60;
let dir = '';
let h: CapsuleHelper | null = null;

beforeAll(async () => {
  dir = await makeTestDir(`nv16c-kill-${RUN}`);
  const rootfs = await makeBusyboxRootfs(dir);
  await mkdir(join(dir, 'vols'));
  h = await startCapsuleHelper(dir);
  await h.client.call('ociImage.import', { path: rootfs, name: IMAGE });
  // It says when SIGTERM comes and goes on: only SIGKILL ends it.
  const script = "trap 'echo got TERM' TERM; echo ready; while true; do sleep 1; done";
  await h.client.call('capsule.create', { name: CAPSULE, image: IMAGE, command: ['sh', '-c', script] });
  await h.client.call('capsule.start', { name: CAPSULE });
}, 120_000);

afterAll(async () => {
  await stopCapsuleHelper(h, dir, [CAPSULE]);
});

async function logSays(text: string): Promise<boolean> {
  const page = await h!.client.call('capsule.logs', { name: CAPSULE });
  return page.lines.some((l) => l.text.includes(text));
}

describe('kill during a graceful capsule stop', () => {
  it('ends the waiting stop at once, the process killed by SIGKILL', async () => {
    await waitFor(() => logSays('ready'), 20_000, 'the capsule to be ready');
    const started = Date.now();
    const graceful = h!.client.call('capsule.stop', { name: CAPSULE, timeoutSec: GRACE_SEC });
    await waitFor(() => logSays('got TERM'), 20_000, 'the process to receive SIGTERM (the stop under way)');

    const killed = await h!.client.call('capsule.stop', { name: CAPSULE, force: true });
    const waited = await graceful;
    // Far from the grace period: the kill cut it short instead of waiting behind it.
    expect(Date.now() - started).toBeLessThan((GRACE_SEC * 1000) / 2);
    for (const c of [killed, waited]) {
      expect(c.state).toBe('stopped');
      expect(c.lastExit).toMatchObject({ reason: 'stopped', signal: 'SIGKILL' });
    }
    expect(stateOf(await h!.client.call('capsule.get', { name: CAPSULE }))).toEqual({ state: 'stopped', pid: null });
  }, 120_000);

  it('kills at once when no stop waits, and a stopped capsule stays stopped', async () => {
    await h!.client.call('capsule.start', { name: CAPSULE });
    await waitFor(async () => (await h!.client.call('capsule.logs', { name: CAPSULE })).lines.filter((l) => l.text.includes('ready')).length >= 2, 20_000, 'the second run to be ready');
    const started = Date.now();
    const killed = await h!.client.call('capsule.stop', { name: CAPSULE, force: true });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(killed.lastExit).toMatchObject({ reason: 'stopped', signal: 'SIGKILL' });
    expect((await h!.client.call('capsule.stop', { name: CAPSULE, force: true })).state).toBe('stopped');
  }, 120_000);
});

function stateOf(capsule: { state: string; pid: number | null }) {
  return { state: capsule.state, pid: capsule.pid };
}
