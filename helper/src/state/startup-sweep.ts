// What a helper killed mid-write or mid-import leaves, found by name at the next start
// before anything reads the state dir: the atomic writer's temporaries beside the records,
// an OCI import's `.tmp-ID` folder, a user-namespace unpack's `bundle-ID-SIZE.tmp`, a
// capsule create's or delete's `.creating-NAME`/`.deleting-NAME` and a disk import's
// `.import-NAME` file. A tool still
// working on one (qemu-img, skopeo, umoci: the killed helper could not stop them) is
// found by its command line naming that path and killed first, then the leftover goes.
import { readFileSync } from 'node:fs';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../util/logger.js';
import { ATOMIC_TEMPORARY } from './atomic-write.js';

export interface SweepPlace {
  dir: string;
  /** Entries of `dir` that are Nova's own leftovers. */
  leftover: RegExp;
}

export interface SweepReport {
  removed: string[];
  killed: Array<{ pid: number; argv: string[] }>;
}

const OCI_IMPORT_TEMPORARY = /^\.tmp-[0-9a-f]{16}$/;
const DISK_IMPORT_TEMPORARY = /^\.import-[A-Za-z0-9][A-Za-z0-9._-]*$/;
const SHIFTED_UNPACK_TEMPORARY = /^bundle-\d+-\d+\.tmp$/;
const CAPSULE_SCRATCH = /^\.(creating|deleting)-[A-Za-z0-9][A-Za-z0-9._-]*$/;
const KILL_WAIT_MS = 5_000;

/** The folders of the state dir that hold records (never a capsule's or an image's root filesystem). */
export async function statePlaces(stateDir: string): Promise<SweepPlace[]> {
  const atomic = (dir: string): SweepPlace => ({ dir, leftover: ATOMIC_TEMPORARY });
  const places = [atomic(stateDir)];
  for (const sub of await subdirs(stateDir)) places.push(atomic(join(stateDir, sub)));
  // Records one level further down: capsules/NAME/capsule.json, capsule-images/ID/image.json.
  for (const nested of ['capsules', 'capsule-images']) {
    for (const sub of await subdirs(join(stateDir, nested))) places.push(atomic(join(stateDir, nested, sub)));
  }
  for (const id of await subdirs(join(stateDir, 'capsule-images'))) places.push({ dir: join(stateDir, 'capsule-images', id), leftover: SHIFTED_UNPACK_TEMPORARY });
  places.push({ dir: join(stateDir, 'capsules'), leftover: CAPSULE_SCRATCH });
  places.push({ dir: join(stateDir, 'capsule-images'), leftover: OCI_IMPORT_TEMPORARY });
  places.push({ dir: join(stateDir, 'images'), leftover: DISK_IMPORT_TEMPORARY });
  return places;
}

export async function sweepLeftovers(places: readonly SweepPlace[], logger: Logger, procRoot = '/proc'): Promise<SweepReport> {
  const leftovers: string[] = [];
  for (const place of places) {
    const names = await readdir(place.dir).catch(() => [] as string[]);
    for (const name of names) if (place.leftover.test(name)) leftovers.push(join(place.dir, name));
  }
  const report: SweepReport = { removed: [], killed: [] };
  if (leftovers.length === 0) return report;
  const workers = await processesNaming(leftovers, procRoot);
  for (const w of workers) {
    try {
      process.kill(w.pid, 'SIGKILL');
      report.killed.push(w);
    } catch {
      // Gone already.
    }
  }
  await waitGone(report.killed.map((w) => w.pid), procRoot);
  const mounts = mountPoints();
  for (const path of leftovers) {
    // Never through a mount (a capsule's overlay, a btrfs snapshot): left for its owner's cleanup.
    if (mounts.some((m) => m === path || m.startsWith(`${path}/`))) {
      logger.warn({ path }, 'an interrupted helper left this with a mount inside: not removed');
      continue;
    }
    // Never fatal: a leftover that cannot go is reported and the helper starts all the same.
    await rm(path, { recursive: true, force: true }).then(
      () => report.removed.push(path),
      (err: unknown) => logger.warn({ path, err }, 'cannot remove what an interrupted helper left'),
    );
  }
  logger.warn({ removed: report.removed, killed: report.killed }, 'removed what an interrupted helper left');
  return report;
}

function mountPoints(): string[] {
  try {
    // Field 5 of each line, with the kernel's octal escapes for space, tab and newline.
    return readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .flatMap((line) => (line ? [line.split(' ')[4]!.replace(/\\(\d{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)))] : []));
  } catch {
    return [];
  }
}

async function subdirs(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name);
}

/** Processes with an argument naming one of `paths` (or something inside it). */
async function processesNaming(paths: readonly string[], procRoot: string): Promise<Array<{ pid: number; argv: string[] }>> {
  const out: Array<{ pid: number; argv: string[] }> = [];
  for (const entry of await readdir(procRoot)) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const raw = await readFile(join(procRoot, entry, 'cmdline'), 'utf8').catch(() => '');
    if (raw === '') continue;
    const argv = raw.replace(/\0$/, '').split('\0');
    if (argv.some((arg) => paths.some((p) => arg === p || arg.includes(`${p}/`) || arg.includes(`${p}:`) || arg.endsWith(p)))) out.push({ pid: Number(entry), argv });
  }
  return out;
}

/** A killed process is gone once /proc has no entry or it is a zombie its parent has not reaped. */
async function waitGone(pids: readonly number[], procRoot: string): Promise<void> {
  const deadline = Date.now() + KILL_WAIT_MS;
  for (const pid of pids) {
    while (Date.now() < deadline) {
      const stat = await readFile(join(procRoot, String(pid), 'stat'), 'utf8').catch(() => null);
      const state = stat?.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      if (stat === null || state === 'Z' || state === 'X') break;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

