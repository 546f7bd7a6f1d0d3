// A running capsule whose record is damaged while the helper is away: against the real
// helper and runc, the restarted helper lists it as broken, leaves its container alone
// until asked, and `nova capsule rm` removes what can be found without the record: the
// container (by its id), the root filesystem's mount and the capsule's folder.
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeBusyboxRootfs } from './fixtures/capsule-harness.js';
import { startCapsuleHelper, stopCapsuleHelper, type CapsuleHelper } from './fixtures/capsule-helper.js';
import { waitFor } from './fixtures/wait-for.js';
import { makeTestDir } from './helper-harness.js';

const PREFIX = 'nv4r';
const NAME = `${PREFIX}-cap`;
const IMAGE = `${PREFIX}-busybox`;

let dir = '';
let h: CapsuleHelper | null = null;
let containerPid = 0;

const alive = (pid: number) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) [ZX]/.test(stat);
  } catch {
    return false;
  }
};
const mountedUnder = (path: string) => readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => (l.split(' ')[4] ?? '').startsWith(path));

beforeAll(async () => {
  dir = await makeTestDir(PREFIX);
  const tar = await makeBusyboxRootfs(dir);
  h = await startCapsuleHelper(dir);
  await h.client.call('ociImage.import', { path: tar, name: IMAGE });
}, 120_000);

afterAll(async () => {
  // The container outlives a failed delete: never leave it running.
  if (containerPid && alive(containerPid)) process.kill(containerPid, 'SIGKILL');
  await stopCapsuleHelper(h, dir, [NAME]);
});

describe('a running capsule with a damaged record', () => {
  it('is listed as broken, and rm stops its container, unmounts its root and removes its folder', async () => {
    await h!.client.call('capsule.create', { name: NAME, image: IMAGE, command: ['sleep', '600'] });
    const started = await h!.client.call('capsule.start', { name: NAME });
    const pid = (containerPid = started.pid!);
    expect(alive(pid)).toBe(true);

    // The helper stops (capsules outlive it); the record is damaged meanwhile.
    h!.client.close();
    await h!.helper.stop();
    const folder = join(dir, 'state', 'capsules', NAME);
    await writeFile(join(folder, 'capsule.json'), '{"version": 2, "spec": ');
    h = await startCapsuleHelper(dir);

    const listed = await h.client.call('capsule.list', {});
    expect(listed.capsules).toEqual([]);
    expect(listed.broken).toEqual([{ name: NAME, state: 'broken', file: join(folder, 'capsule.json'), stateReason: expect.stringContaining('not valid JSON') }]);
    expect(alive(pid)).toBe(true);
    expect(mountedUnder(folder)).toBe(true);

    await h.client.call('capsule.delete', { name: NAME });
    await waitFor(() => !alive(pid), 10_000, `the container's process ${pid} to end`);
    expect(mountedUnder(folder)).toBe(false);
    expect(existsSync(folder)).toBe(false);
    expect(await h.client.call('capsule.list', {})).toEqual({ capsules: [], broken: [] });
  });
});
