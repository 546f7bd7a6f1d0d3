// Reading the shim's rotated JSON-lines logs: order across rotated files, follow by
// sequence number, tail, and the next sequence number. (The writer, the native shim, is
// tested in helper/native/capsule-shim/capsule-shim.test.ts.)
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nextLogSeq, readLogs } from './capsule-logs.js';
import type { StoredLogLine } from './shim-protocol.js';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nv5c-logs-'));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

function lines(from: number, to: number): string {
  const out: string[] = [];
  for (let n = from; n < to; n++) {
    const l: StoredLogLine = { n, t: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(), s: n % 2 ? 'stderr' : 'stdout', m: `line ${n}` };
    out.push(JSON.stringify(l) + '\n');
  }
  return out.join('');
}

describe('capsule logs', () => {
  it('reads rotated files oldest first, follows by sequence and tails', async () => {
    const file = join(dir, 'capsule.log');
    // As the shim leaves them with three files: .2 oldest, then .1, then the live file.
    await writeFile(`${file}.2`, lines(3, 6));
    await writeFile(`${file}.1`, lines(6, 9) + 'not json\n');
    await writeFile(file, lines(9, 12));
    const all = await readLogs(file, 3, {});
    expect(all.lines.map((l) => l.text)).toEqual(Array.from({ length: 9 }, (_, i) => `line ${i + 3}`));
    expect(all.cursor).toBe(11);
    expect((await readLogs(file, 3, { afterSeq: 9 })).lines.map((l) => l.text)).toEqual(['line 10', 'line 11']);
    expect((await readLogs(file, 3, { tail: 1 })).lines.map((l) => [l.stream, l.text])).toEqual([['stderr', 'line 11']]);
    expect((await readLogs(file, 3, { since: new Date(Date.UTC(2026, 0, 1, 0, 0, 10)) })).lines.map((l) => l.seq)).toEqual([10, 11]);
    expect(await nextLogSeq(file)).toBe(12);
  });
  it('continues after the rotated file when the live one is empty', async () => {
    const file = join(dir, 'fresh.log');
    await writeFile(`${file}.1`, lines(0, 4));
    await writeFile(file, '');
    expect(await nextLogSeq(file)).toBe(4);
    expect(await nextLogSeq(join(dir, 'none.log'))).toBe(0);
  });
  it('finds the next sequence number from the end of a long log, across a line longer than one read', async () => {
    const file = join(dir, 'long.log');
    const long: StoredLogLine = { n: 40_000, t: new Date(0).toISOString(), s: 'stdout', m: 'x'.repeat(100_000) };
    await writeFile(file, lines(0, 40_000) + JSON.stringify(long) + '\n' + 'torn {"n":9');
    expect(await nextLogSeq(file)).toBe(40_001);
    await writeFile(file, JSON.stringify(long) + '\n\n');
    expect(await nextLogSeq(file)).toBe(40_001);
    await writeFile(file, 'not json\n'.repeat(20_000));
    expect(await nextLogSeq(file)).toBe(0);
  });
});
