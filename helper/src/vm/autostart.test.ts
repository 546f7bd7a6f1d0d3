import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { autostartOrder, autostartReportPath, capsuleAutostartEntries, runAutostart, type AutostartEntry } from './autostart.js';
import { silentLogger } from '../util/logger.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

function entry(kind: 'vm' | 'capsule', name: string, order: number, delaySeconds: number, log: string[], fail = false): AutostartEntry {
  return {
    kind,
    name,
    order,
    delaySeconds,
    start: async () => {
      log.push(name);
      if (fail) throw new Error(`${name} would not start`);
    },
  };
}

describe('autostart', () => {
  it('orders by order, then VMs before capsules, then name', () => {
    const log: string[] = [];
    const sorted = autostartOrder([entry('capsule', 'web', 1, 0, log), entry('vm', 'z', 1, 0, log), entry('vm', 'db', 0, 0, log), entry('vm', 'a', 1, 0, log)]);
    expect(sorted.map((e) => e.name)).toEqual(['db', 'a', 'z', 'web']);
  });

  it('waits each delay before its start, goes on past a failure and keeps the report', async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'nv11s-autostart-'));
    dirs.push(stateDir);
    const log: string[] = [];
    const sleep = async (ms: number) => void log.push(`sleep ${ms}`);
    const report = await runAutostart([entry('vm', 'b', 2, 3, log), entry('vm', 'a', 1, 0, log, true), entry('capsule', 'c', 3, 1, log)], { logger: silentLogger(), stateDir, bootId: 'boot-2', sleep });
    expect(log).toEqual(['a', 'sleep 3000', 'b', 'sleep 1000', 'c']);
    expect(report.outcomes.map((o) => [o.name, o.error])).toEqual([['a', 'a would not start'], ['b', null], ['c', null]]);
    const kept = JSON.parse(await readFile(autostartReportPath(stateDir), 'utf8')) as { bootId: string };
    expect(kept.bootId).toBe('boot-2');
  });

  it('stops between starts when the helper shuts down', async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'nv11s-autostart-'));
    dirs.push(stateDir);
    const log: string[] = [];
    const stop = new AbortController();
    const sleep = async () => stop.abort();
    await runAutostart([entry('vm', 'a', 0, 0, log), entry('vm', 'b', 1, 5, log)], { logger: silentLogger(), stateDir, bootId: 'x', sleep, signal: stop.signal });
    expect(log).toEqual(['a']);
  });

  it('counts a capsule its restart policy already started as started', async () => {
    const started: string[] = [];
    const entries = capsuleAutostartEntries(
      [
        { name: 'up', state: 'running', spec: { autostart: { order: 0, delaySeconds: 0 } } },
        { name: 'down', state: 'stopped', spec: { autostart: { order: 0, delaySeconds: 0 } } },
        { name: 'never', state: 'stopped', spec: {} },
      ],
      async (n) => void started.push(n),
    );
    for (const e of entries) await e.start();
    expect(entries.map((e) => e.name)).toEqual(['up', 'down']);
    expect(started).toEqual(['down']);
  });
});
