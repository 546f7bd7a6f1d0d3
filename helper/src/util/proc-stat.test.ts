import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findProcesses, isSameProcess, isSameProcessSync, parseStartTime, processStartTime } from './proc-stat.js';

describe('parseStartTime', () => {
  it('reads field 22 even when the command name holds spaces and parentheses', () => {
    const stat = '1234 (qemu (nova) vm) S 1 1234 1234 0 -1 4194560 100 0 0 0 5 3 0 0 20 0 3 0 987654 1000 10 18446744073709551615';
    expect(parseStartTime(stat)).toBe('987654');
  });
  it('returns null for garbage', () => {
    expect(parseStartTime('nonsense')).toBeNull();
  });
  it('reads this process start time from /proc', async () => {
    expect(await processStartTime(process.pid)).toMatch(/^\d+$/);
  });
});

describe('isSameProcess: the one liveness rule', () => {
  const line = (state: string, start: string) => `42 (qemu) ${state} 1 42 42 0 -1 4194560 100 0 0 0 5 3 0 0 20 0 3 0 ${start} 1000 10`;
  const roots: string[] = [];
  afterEach(() => Promise.all(roots.splice(0).map((r) => rm(r, { recursive: true, force: true }))));
  async function procWith(stat: string): Promise<string> {
    const root = await mkdtemp(join(tmpdir(), 'nv4s-proc-'));
    roots.push(root);
    await mkdir(join(root, '42'));
    await writeFile(join(root, '42', 'stat'), stat);
    return root;
  }
  it('a running or sleeping process with the recorded start time is alive', async () => {
    expect(await isSameProcess(42, '555', await procWith(line('S', '555')))).toBe(true);
    expect(isSameProcessSync(42, '555', await procWith(line('R', '555')))).toBe(true);
  });
  it('a zombie (Z) or a dead task (X) is gone, though /proc still lists it with the same start time', async () => {
    expect(await isSameProcess(42, '555', await procWith(line('Z', '555')))).toBe(false);
    expect(await isSameProcess(42, '555', await procWith(line('X', '555')))).toBe(false);
  });
  it('another start time is another process; no entry is no process', async () => {
    const root = await procWith(line('S', '556'));
    expect(await isSameProcess(42, '555', root)).toBe(false);
    expect(await isSameProcess(43, '555', root)).toBe(false);
  });
  it('finds living processes by their command line', async () => {
    const found = await findProcesses((argv) => argv[0] === process.execPath && argv.includes(process.argv[1] ?? ''));
    expect(found.map((p) => p.pid)).toContain(process.pid);
  });
});
