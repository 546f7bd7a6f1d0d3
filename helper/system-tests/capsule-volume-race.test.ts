// A capsule volume whose folder its owner swaps with a symlink to the host's /etc while the
// capsule starts (issue 12, item 3), against the real helper and runc: `nobody` owns the
// folder inside the volume root and exchanges it with the link as fast as it can, while the
// capsule is started again and again, with and without a user namespace. No start may mount
// the host's /etc: the capsule sees its own folder (or is refused), its mountinfo names no
// /etc, and strace on the helper and all it starts shows no open or mount of a path inside
// the caller's folder by name: only descriptors the helper opened without following links.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { chown, mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HelperClient } from '../../src-main/core/helper-client.js';
import { makeBusyboxRootfs } from './fixtures/capsule-harness.js';
import { startCapsuleHelper, stopCapsuleHelper, type CapsuleHelper } from './fixtures/capsule-helper.js';
import { traceSyscalls, type TracedCall } from './fixtures/syscall-trace.js';
import { waitFor } from './fixtures/wait-for.js';
import { makeTestDir, type RunningHelper } from './helper-harness.js';

const RUN = randomBytes(3).toString('hex');
const TAG = `nv12c-${RUN}`;
const IMAGE = `${TAG}-busybox`;
const STARTS = 16;
const NOBODY = 65534;
/** Exchanges two names (renameat2 RENAME_EXCHANGE) until killed or out of time: both always exist. */
const SWAPPER = `
import ctypes, os, sys, time
libc = ctypes.CDLL(None, use_errno=True)
a, b, end = sys.argv[1].encode(), sys.argv[2].encode(), time.monotonic() + float(sys.argv[3])
while time.monotonic() < end:
    if libc.renameat2(-100, a, -100, b, 2) != 0:
        sys.exit("renameat2: " + os.strerror(ctypes.get_errno()))
    time.sleep(0.0005)
`;

let dir = '';
let vols = '';
let h: CapsuleHelper | null = null;
let helper: RunningHelper;
let client: HelperClient;
let swapper: ChildProcess | null = null;
const made: string[] = [];

beforeAll(async () => {
  dir = await makeTestDir(TAG);
  const rootfsTar = await makeBusyboxRootfs(dir);
  vols = join(dir, 'vols');
  await mkdir(vols, { mode: 0o755 });
  h = await startCapsuleHelper(dir, vols);
  ({ helper, client } = h);
  await client.call('ociImage.import', { path: rootfsTar, name: IMAGE });
}, 120_000);

afterAll(async () => {
  swapper?.kill('SIGKILL');
  await stopCapsuleHelper(h, dir, made);
});

/** `nobody`'s folder in the volume root: `data` (with a marker) and `link` -> /etc, swapped by `nobody`. */
async function attackerFolder(label: string): Promise<{ data: string; link: string }> {
  const box = join(vols, label);
  await mkdir(join(box, 'data'), { recursive: true, mode: 0o755 });
  await writeFile(join(box, 'data', 'marker'), 'the volume\n');
  await symlink('/etc', join(box, 'link'));
  for (const p of [box, join(box, 'data'), join(box, 'data', 'marker')]) await chown(p, NOBODY, NOBODY);
  await chown(join(box, 'link'), NOBODY, NOBODY).catch(() => undefined);
  return { data: join(box, 'data'), link: join(box, 'link') };
}

function startSwapper(a: string, b: string, seconds: number): ChildProcess {
  const child = spawn('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', '/usr/bin/python3', '-c', SWAPPER, a, b, String(seconds)], { stdio: 'ignore' });
  return child;
}

interface StartOutcome {
  refused: string | null;
  listing: string[];
  /** Field 4 of the capsule's mountinfo line for /data: the folder the mount shows. */
  mountRoot: string | null;
}

/** Starts the capsule once, waits for its command to end, and reads what it printed. */
async function startOnce(name: string, cursor: number): Promise<{ outcome: StartOutcome; cursor: number }> {
  try {
    await client.call('capsule.start', { name });
  } catch (err) {
    return { outcome: { refused: (err as Error).message, listing: [], mountRoot: null }, cursor };
  }
  const page = await waitFor(async () => {
    const p = await client.call('capsule.logs', { name, afterSeq: cursor });
    return p.lines.some((l) => l.text === 'END') ? p : null;
  }, 20_000, `${name}'s run to print its view of /data`);
  await waitFor(async () => (await client.call('capsule.get', { name })).state === 'stopped', 15_000, `${name} to stop`);
  const lines = page.lines.map((l) => l.text);
  const mount = lines.find((l) => l.split(' ')[4] === '/data');
  return {
    outcome: { refused: null, listing: lines.filter((l) => !l.includes(' ') && l !== 'END'), mountRoot: mount?.split(' ')[3] ?? null },
    cursor: page.cursor,
  };
}

/** Calls that named (opened or mounted) a path inside `folder`: the helper's no-follow walk goes through /proc/self/fd instead. */
function byNameInside(calls: readonly TracedCall[], folder: string): TracedCall[] {
  return calls.filter((c) => c.paths.some((p) => p === folder || p.startsWith(`${folder}/`)));
}

describe('a volume folder swapped with a symlink to /etc while the capsule starts', () => {
  for (const userNamespace of [false, true]) {
    it(`never mounts the host's /etc (${userNamespace ? 'in' : 'without'} a user namespace)`, async () => {
      const label = userNamespace ? 'userns' : 'plain';
      const name = `${TAG}-${label}`;
      const { data, link } = await attackerFolder(label);
      made.push(name);
      await client.call('capsule.create', {
        name,
        image: IMAGE,
        userNamespace,
        command: ['sh', '-c', 'ls -1 /data; grep " /data " /proc/self/mountinfo; echo END'],
        volumes: [{ source: data, target: '/data' }],
      });
      const trace = await traceSyscalls(helper.process.pid!, ['openat', 'openat2', 'open', 'mount', 'open_tree', 'move_mount'], join(dir, `strace-${label}.txt`));
      let calls: TracedCall[] = [];
      const outcomes: StartOutcome[] = [];
      const deadline = Date.now() + 150_000;
      try {
        swapper = startSwapper(data, link, 180);
        let cursor = -1;
        for (let i = 0; i < STARTS && Date.now() < deadline; i++) {
          const r = await startOnce(name, cursor);
          outcomes.push(r.outcome);
          cursor = r.cursor;
        }
      } finally {
        swapper?.kill('SIGKILL');
        calls = await trace.stop();
      }
      const ran = outcomes.filter((o) => o.refused === null);
      const escaped = ran.filter((o) => o.listing.includes('os-release') || o.listing.includes('passwd') || (o.mountRoot ?? '').startsWith('/etc'));
      const summary = `${outcomes.length} starts: ${ran.length} ran, ${escaped.length} saw the host's /etc; refusals: ${[...new Set(outcomes.map((o) => o.refused).filter(Boolean))].join(' | ')}`;
      expect(outcomes.length, summary).toBe(STARTS);
      expect(escaped, summary).toEqual([]);
      // The runs that came up saw the folder itself, whatever its name at that moment.
      expect(ran.length, summary).toBeGreaterThan(0);
      for (const o of ran) {
        expect(o.listing, summary).toEqual(['marker']);
        expect(o.mountRoot, summary).toMatch(new RegExp(`^${vols}/${label}/(data|link)$`));
      }
      // Nothing opened or mounted the caller's folder by name (a name that can change under it).
      const named = byNameInside(calls, join(vols, label));
      expect(named.map((c) => `${c.syscall}(${c.args})`).slice(0, 5), summary).toEqual([]);
      // Nor reached the host's /etc through it: no mount of /etc, and the helper's own opens
      // never led there.
      expect(calls.filter((c) => c.syscall === 'mount' && c.paths[0]?.startsWith('/etc'))).toEqual([]);
      // The host's namespace keeps no mount of the volume once the capsule is up (the capsule holds its own).
      const left = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.split(' ')[3]?.startsWith(`${vols}/`));
      expect(left).toEqual([]);
    }, 240_000);
  }
});
