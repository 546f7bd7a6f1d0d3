// The shim's rotating JSON-lines log and the reader: order across rotated files,
// follow by sequence number, tail, and lines split safely.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nextLogSeq, readLogs } from './capsule-logs.js';
import { lineSplitter, RotatingLog } from './capsule-shim.js';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nv5-logs-'));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

describe('capsule logs', () => {
  it('rotates, keeps order across files and follows by sequence', async () => {
    const file = join(dir, 'capsule.log');
    const log = new RotatingLog(file, 200, 3, 0);
    for (let i = 0; i < 12; i++) log.write(i % 2 ? 'stderr' : 'stdout', `line ${i}`);
    log.close();
    const all = await readLogs(file, 3, {});
    const texts = all.lines.map((l) => l.text);
    // Only what fits in three files is kept, oldest first.
    expect(texts.length).toBeLessThan(12);
    expect(texts[texts.length - 1]).toBe('line 11');
    expect(all.lines.map((l) => l.seq)).toEqual([...all.lines.map((l) => l.seq)].sort((a, b) => a - b));
    expect((await readLogs(file, 3, { afterSeq: 9 })).lines.map((l) => l.text)).toEqual(['line 10', 'line 11']);
    expect((await readLogs(file, 3, { tail: 1 })).lines.map((l) => [l.stream, l.text])).toEqual([['stderr', 'line 11']]);
    expect(await nextLogSeq(file)).toBe(12);
  });
  it('splits chunks into lines and flushes a partial one', () => {
    const lines: string[] = [];
    const s = lineSplitter((l) => lines.push(l));
    s.push(Buffer.from('a\r\nb'));
    s.push(Buffer.from('c\nd'));
    s.flush();
    expect(lines).toEqual(['a', 'bc', 'd']);
  });
});
