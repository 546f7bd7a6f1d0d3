// Reading a capsule's logs as conmon writes them (k8s-file records, lines read in pieces)
// and as the former C shim wrote them (JSON lines), across rotated files: order, follow by
// cursor, tail, pieces joined, and cursors that stay valid when Nova rotates the log.
// (conmon writing them for real: system-tests/capsule-monitor.test.ts.)
import { mkdirSync } from 'node:fs';
import { appendFile, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CapsuleLog } from './capsule-logs.js';
import { formatK8sRecord, formatLegacyRecord, parseLogRecord } from './log-format.js';

let dir = '';
let seq = 0;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nv8c-logs-'));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

const t0 = Date.UTC(2026, 0, 1);
const at = (s: number) => new Date(t0 + s * 1000);

function legacy(from: number, to: number): string {
  let out = '';
  for (let n = from; n < to; n++) out += formatLegacyRecord(n, at(n), n % 2 ? 'stderr' : 'stdout', `line ${n}`);
  return out;
}

function k8s(from: number, to: number): string {
  let out = '';
  for (let n = from; n < to; n++) out += formatK8sRecord(at(n), 'stdout', `line ${n}`);
  return out;
}

/** A fresh log file in its own folder, as each capsule has one. */
function newLog(maxFiles = 3, maxBytes = 1024 * 1024): CapsuleLog {
  const logs = join(dir, `c${++seq}`);
  mkdirSync(logs);
  return new CapsuleLog(join(logs, 'capsule.log'), maxFiles, maxBytes);
}

async function write(log: CapsuleLog, name: string, text: string): Promise<void> {
  await writeFile(name === '' ? log.file : `${log.file}.${name}`, text);
}

const texts = (p: { lines: { text: string }[] }) => p.lines.map((l) => l.text);

describe('log records', () => {
  it('reads conmon records with their time (nanoseconds, any offset) as UTC milliseconds', () => {
    expect(parseLogRecord('2026-12-06T05:18:55.123456789+01:00 stderr F oops: a b')).toEqual({ kind: 'k8s', at: '2026-12-06T04:18:55.123Z', stream: 'stderr', partial: false, text: 'oops: a b' });
    expect(parseLogRecord('2026-12-06T04:18:55.000000001Z stdout P ')).toMatchObject({ partial: true, text: '' });
    expect(parseLogRecord(formatLegacyRecord(7, at(0), 'stdout', 'old'))).toEqual({ kind: 'legacy', seq: 7, at: at(0).toISOString(), stream: 'stdout', text: 'old' });
    for (const bad of ['', 'not a record', '{"n":1}', '2026-12-06 stdout F x', '2026-12-06T04:18:55Z stdin F x']) expect(parseLogRecord(bad)).toBeNull();
  });
});

describe('capsule logs', () => {
  it('reads the former shim\'s rotated files oldest first, follows by sequence and tails', async () => {
    const log = newLog();
    await write(log, '2', legacy(3, 6));
    await write(log, '1', legacy(6, 9) + 'not json\n');
    await write(log, '', legacy(9, 12));
    const all = await log.read({}, false);
    expect(texts(all)).toEqual(Array.from({ length: 9 }, (_, i) => `line ${i + 3}`));
    expect(all.cursor).toBe(11);
    expect(texts(await log.read({ afterSeq: 9 }, false))).toEqual(['line 10', 'line 11']);
    expect((await log.read({ tail: 1 }, false)).lines.map((l) => [l.stream, l.text])).toEqual([['stderr', 'line 11']]);
    expect((await log.read({ since: at(10) }, false)).lines.map((l) => l.seq)).toEqual([10, 11]);
  });

  it('numbers conmon records by where they lie, so a cursor passed back gives only what came since', async () => {
    const log = newLog();
    await write(log, '', k8s(0, 3));
    const first = await log.read({}, true);
    expect(texts(first)).toEqual(['line 0', 'line 1', 'line 2']);
    expect(first.lines[0]!.seq).toBe(0);
    expect(first.cursor).toBe(first.lines[2]!.seq);
    expect(first.lines[1]!.at).toBe(at(1).toISOString());
    await appendFile(log.file, k8s(3, 5));
    expect(texts(await log.read({ afterSeq: first.cursor }, true))).toEqual(['line 3', 'line 4']);
    expect(await log.read({ afterSeq: -1, since: at(4) }, true)).toMatchObject({ lines: [{ text: 'line 4' }] });
  });

  it('joins the pieces of a line per stream (CRLF ends one too); a line still in pieces waits while the capsule runs', async () => {
    const log = newLog();
    await write(
      log,
      '',
      formatK8sRecord(at(0), 'stdout', 'hel', true) +
        formatK8sRecord(at(1), 'stderr', 'err', false) +
        formatK8sRecord(at(2), 'stdout', 'lo\r', false) +
        formatK8sRecord(at(3), 'stdout', 'no newline yet', true),
    );
    const running = await log.read({}, true);
    expect(running.lines.map((l) => [l.stream, l.text, l.at])).toEqual([
      ['stderr', 'err', at(1).toISOString()],
      ['stdout', 'hello', at(0).toISOString()],
    ]);
    // Held back lines come after the cursor once they are whole, never before it.
    const done = await log.read({ afterSeq: running.cursor }, false);
    expect(texts(done)).toEqual(['no newline yet']);
    expect(done.lines[0]!.seq).toBeGreaterThan(running.cursor);
  });

  it('cuts a line of endless pieces at 16 KiB', async () => {
    const log = newLog();
    const piece = 'x'.repeat(8192);
    await write(log, '', [0, 1, 2, 3, 4].map((i) => formatK8sRecord(at(i), 'stdout', piece, true)).join('') + formatK8sRecord(at(5), 'stdout', 'end'));
    expect((await log.read({}, true)).lines.map((l) => l.text.length)).toEqual([16384, 16384, 8192 + 3]);
  });

  it('rotates past its size, keeps the numbers of every line, and drops the oldest file', async () => {
    const log = newLog(3, 200);
    await log.prepare();
    await write(log, '', k8s(0, 4));
    const before = await log.read({}, false);
    expect(await log.rotateIfFull(null)).toBe(true);
    expect(await log.rotateIfFull(null)).toBe(false);
    expect(await log.read({}, false)).toEqual(before);
    await write(log, '', k8s(4, 8));
    const grown = await log.read({ afterSeq: before.cursor }, false);
    expect(texts(grown)).toEqual(['line 4', 'line 5', 'line 6', 'line 7']);
    expect(grown.lines[0]!.seq).toBeGreaterThan(before.cursor);
    await log.rotateIfFull(null);
    await write(log, '', k8s(8, 13));
    await log.rotateIfFull(null);
    const after = await log.read({}, false);
    expect(texts(after)).toEqual(['line 4', 'line 5', 'line 6', 'line 7', 'line 8', 'line 9', 'line 10', 'line 11', 'line 12']);
    expect(after.lines.slice(0, 4)).toEqual(grown.lines);
    expect((await readdir(join(log.file, '..'))).sort()).toEqual(['capsule.log.1', 'capsule.log.2', 'capsule.log.offsets.json']);
  });

  it('asks the running monitor to reopen, and numbers what it wrote into the moved file meanwhile', async () => {
    const log = newLog(3, 100);
    await log.prepare();
    await write(log, '', k8s(0, 3));
    const seen = await log.read({}, true);
    const rotated = await log.rotateIfFull(async () => {
      // As conmon: a last record into the file it still has open, then a new file.
      await appendFile(`${log.file}.1`, k8s(3, 4));
      await writeFile(log.file, '');
      return true;
    });
    expect(rotated).toBe(true);
    await appendFile(log.file, k8s(4, 5));
    const next = await log.read({ afterSeq: seen.cursor }, true);
    expect(texts(next)).toEqual(['line 3', 'line 4']);
    expect(next.lines[0]!.seq).toBeLessThan(next.lines[1]!.seq);
  });

  it('continues after the numbers of the former shim when conmon first writes to an old log', async () => {
    const log = newLog();
    await write(log, '1', legacy(0, 40));
    await write(log, '', legacy(40, 42));
    await log.prepare();
    await appendFile(log.file, k8s(100, 101));
    const all = await log.read({}, false);
    expect(texts(all).slice(-3)).toEqual(['line 40', 'line 41', 'line 100']);
    expect(all.lines.at(-1)!.seq).toBeGreaterThan(41);
    expect(texts(await log.read({ afterSeq: 41 }, false))).toEqual(['line 100']);
  });
});
