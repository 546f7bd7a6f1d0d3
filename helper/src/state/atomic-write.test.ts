// Atomic state under crash injection: a child process writes a record over and over
// through the helper's own writer and is killed with SIGKILL at a random instant, N times
// (NOVA_SOAK=1: 1,000; otherwise 100; NOVA_SEED picks the instants); after each kill the
// record parses as a whole version no older than the last one seen, and the start-up
// sweep removes every temporary the kill left. Failures of write, fsync and rename are
// injected in-process through the writer's seam: the old version stays, no temporary does.
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../util/logger.js';
import { ATOMIC_TEMPORARY, atomicWriteFaults, writeJsonAtomic, type AtomicWriteStep } from './atomic-write.js';
import { sweepLeftovers } from './startup-sweep.js';

const ITERATIONS = process.env.NOVA_SOAK === '1' ? 1000 : 100;
const SEED = Number(process.env.NOVA_SEED ?? 1414);
/** Big enough that a write takes a few system calls, so kills land inside writes too. */
const PAD = 'x'.repeat(256 * 1024);

// Writes {seq, pad} to argv[2] forever, seq counting on from what the file holds.
const WRITER = `
import { readFileSync } from 'node:fs';
import { writeJsonAtomic } from './atomic-write.ts';
const path = process.argv[2];
let seq = 0;
try { seq = JSON.parse(readFileSync(path, 'utf8')).seq; } catch {}
process.stdout.write('ready\\n');
for (;;) { seq += 1; await writeJsonAtomic(path, { version: 1, seq, pad: ${JSON.stringify(PAD.slice(0, 8))}.repeat(${PAD.length / 8}) }); }
`;

let dir = '';
let writer = '';

/** mulberry32: a small seeded generator, so a failing run can be repeated with its seed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function temporaries(): Promise<string[]> {
  return (await readdir(dir)).filter((f) => ATOMIC_TEMPORARY.test(f));
}

/** Starts the writer, lets it write for `ms` after it is ready, and kills it with SIGKILL. */
async function killWriterAfter(path: string, ms: number): Promise<void> {
  const child = spawn(process.execPath, [writer, path], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the writer did not start within 10 s')), 10_000);
    child.stdout.once('data', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  await new Promise((r) => setTimeout(r, ms));
  child.kill('SIGKILL');
  await exited;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nv4r-atomic-'));
  writer = join(dir, '..', `${dir.split('/').pop()}-writer.mjs`);
  await build({ stdin: { contents: WRITER, resolveDir: import.meta.dirname, loader: 'ts' }, bundle: true, platform: 'node', format: 'esm', outfile: writer, logLevel: 'silent' });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await rm(writer, { force: true });
});

afterEach(() => {
  atomicWriteFaults.before = null;
});

describe('atomic state writes', () => {
  it(`leave the old or the new version whole when the writer is killed at a random point (${ITERATIONS} kills, seed ${SEED})`, async () => {
    const path = join(dir, 'record.json');
    await writeJsonAtomic(path, { version: 1, seq: 0, pad: '' });
    const next = random(SEED);
    let last = 0;
    let leftBehind = 0;
    for (let i = 0; i < ITERATIONS; i++) {
      await killWriterAfter(path, Math.floor(next() * 40));
      const text = await readFile(path, 'utf8');
      let record: { seq: number; pad: string };
      try {
        record = JSON.parse(text) as { seq: number; pad: string };
      } catch (err) {
        throw new Error(`kill ${i} (seed ${SEED}) left a record that does not parse (${text.length} bytes): ${(err as Error).message}`);
      }
      expect(record.seq, `kill ${i} (seed ${SEED})`).toBeGreaterThanOrEqual(last);
      expect(record.pad.length === 0 || record.pad.length === PAD.length, `kill ${i}: a whole version`).toBe(true);
      last = record.seq;
      const stray = await temporaries();
      leftBehind += stray.length;
      await sweepLeftovers([{ dir, leftover: ATOMIC_TEMPORARY }], silentLogger());
      expect(await temporaries()).toEqual([]);
      expect(await readFile(path, 'utf8')).toBe(text);
    }
    // The kills must have landed mid-write at least sometimes, or they proved nothing.
    expect(last).toBeGreaterThan(0);
    console.log(`${ITERATIONS} kills (seed ${SEED}): ${last} versions written, ${leftBehind} temporaries left and swept`);
    expect(leftBehind).toBeGreaterThan(0);
  }, 600_000);

  it.each<AtomicWriteStep>(['write', 'fsync', 'rename'])('keep the old version and no temporary when %s fails', async (step) => {
    const path = join(dir, `fault-${step}.json`);
    await writeJsonAtomic(path, { version: 1, seq: 1 });
    atomicWriteFaults.before = (at) => {
      if (at === step) throw Object.assign(new Error(`injected ${step} failure`), { code: step === 'rename' ? 'EXDEV' : step === 'fsync' ? 'EIO' : 'ENOSPC' });
    };
    await expect(writeJsonAtomic(path, { version: 1, seq: 2 })).rejects.toThrow(`injected ${step} failure`);
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({ version: 1, seq: 1 });
    expect(await temporaries()).toEqual([]);
    atomicWriteFaults.before = null;
    await writeJsonAtomic(path, { version: 1, seq: 2 });
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({ version: 1, seq: 2 });
  });

  it('sweeps only Nova temporaries by name, never a record or another file', async () => {
    const keep = ['vm.json', '.hidden', 'x.tmp', '.vm.json.12345.tmp'];
    for (const f of [...keep, '.vm.json.0123456789ab.tmp']) await writeFile(join(dir, f), '{}');
    await sweepLeftovers([{ dir, leftover: ATOMIC_TEMPORARY }], silentLogger());
    const left = await readdir(dir);
    for (const f of keep) expect(left).toContain(f);
    expect(left).not.toContain('.vm.json.0123456789ab.tmp');
  });
});
