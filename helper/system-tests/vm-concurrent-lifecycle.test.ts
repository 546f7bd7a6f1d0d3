// Concurrent lifecycle: the CLI starts a VM while the web UI's WebSocket stops it and a
// script (direct RPC) snapshots it, all at once, round after round (4; 100 with
// NOVA_SOAK=1; the launch order and stagger come from a seed, printed). Rounds begin
// from a stopped VM and from a running one in turn; the running guest ignores the power
// button, so a graceful stop holds the VM longer than a request waits, and the others
// must be refused. Each request either acts or is refused: `locked` naming what holds the
// VM (and its operation), or a state refusal (stopping a stopped VM). Winners never
// overlap, and after each round the records parse and the state matches the real QEMU
// processes and the disk's snapshots.
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
import type { Operation } from '../../src-shared/operation.js';
import { ensureTestGuest } from './fixtures/guest-builder.js';
import { commandOf, killMatching, processesMatching } from './fixtures/frozen-child.js';
import { startOperationHelper, type OperationHelperRun } from './fixtures/operation-helper.js';
import { waitFor } from './fixtures/wait-for.js';
import { CLI_BUNDLE } from './helper-harness.js';
import { callOverSocket, openApiSocket, startWebMode, type WebMode } from './web-client.js';

const ROUNDS = process.env.NOVA_SOAK === '1' ? 100 : 4;
const SEED = Number(process.env.NOVA_SEED ?? Date.now() % 100_000);
const RUN = randomBytes(3).toString('hex');
const VM = `nv4g-conc-${RUN}`;
const vmQemu = commandOf('qemu-system-x86_64', `process=nova-vm-${VM}`);
/** Longer than a request waits for a busy VM (3 s), so a stop of a running VM is a real conflict. */
const STOP_TIMEOUT_MS = 4_500;

let run: OperationHelperRun;
let web: WebMode;
let ws: WebSocket;
let disk = '';

interface Outcome {
  who: 'cli' | 'web' | 'script';
  /** The lock label the request holds when it acts. */
  label: string;
  code: 'ok' | string;
  message: string;
  operationId?: string;
}

/** A small deterministic generator, so a failing round can be replayed with NOVA_SEED. */
function prng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

function cliStart(): Promise<Outcome> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI_BUNDLE, '--socket', run.helper.socketPath, '--no-autostart', 'vm', 'start', VM], { timeout: 120_000 }, (err, _stdout, stderr) => {
      const m = /nova: (.*) \[(\w+)\]\n?$/.exec(stderr);
      resolve({ who: 'cli', label: 'start', code: err ? (m?.[2] ?? `exit ${String(err.code)}: ${stderr}`) : 'ok', message: m?.[1] ?? '' });
    });
  });
}

async function webStop(): Promise<Outcome> {
  const r = await callOverSocket(ws, 'vm.stop', { name: VM, timeoutMs: STOP_TIMEOUT_MS });
  return { who: 'web', label: 'stop', code: r.ok ? 'ok' : (r.error?.code ?? '?'), message: r.error?.message ?? '' };
}

async function scriptSnapshot(snapshot: string): Promise<Outcome> {
  const label = `snapshot '${snapshot}'`;
  try {
    await run.client.call('vm.snapshotCreate', { name: VM, snapshot });
    return { who: 'script', label, code: 'ok', message: '' };
  } catch (err) {
    const e = err as { code: string; message: string; details?: { operationId?: string } };
    return { who: 'script', label, code: e.code, message: e.message, ...(e.details?.operationId ? { operationId: e.details.operationId } : {}) };
  }
}

async function ensureState(running: boolean): Promise<void> {
  const state = (await run.client.call('vm.get', { name: VM })).state;
  if (running && state !== 'running') await run.client.call('vm.start', { name: VM });
  if (!running && state !== 'stopped') await run.client.call('vm.stop', { name: VM, force: true });
  await waitFor(async () => (await run.client.call('vm.get', { name: VM })).state === (running ? 'running' : 'stopped'), 15_000, 'the VM to settle');
}

/** The records parse, and the state is what the processes and the disk say. */
async function checkConsistent(round: number): Promise<void> {
  const vmsDir = join(run.helper.stateDir, 'vms');
  for (const f of (await readdir(vmsDir)).filter((n) => n.startsWith(`${VM}.`) && n.endsWith('.json'))) {
    const text = await readFile(join(vmsDir, f), 'utf8');
    expect(() => JSON.parse(text), `round ${round}: ${f} parses`).not.toThrow();
  }
  const info = await run.client.call('vm.get', { name: VM });
  const qemus = await processesMatching(vmQemu);
  if (info.state === 'running') expect({ round, qemus }).toEqual({ round, qemus: [info.pid] });
  else expect({ round, state: info.state, qemus }).toEqual({ round, state: 'stopped', qemus: [] });
  const recorded = (await run.client.call('vm.snapshotList', { name: VM })).snapshots.map((s) => s.name).sort();
  const inDisk = execFileSync('qemu-img', ['snapshot', '-l', '-U', disk], { encoding: 'utf8' })
    .split('\n')
    .slice(2)
    .map((l) => l.trim().split(/\s+/)[1])
    .filter((n): n is string => Boolean(n))
    .sort();
  expect({ round, snapshots: recorded }).toEqual({ round, snapshots: inDisk });
}

beforeAll(async () => {
  const guest = await ensureTestGuest();
  run = await startOperationHelper('nv4g-conc', { extraArgs: ['--allowed-root', dirname(guest.vmlinux)] });
  const rendererDir = join(run.dir, 'renderer');
  await mkdir(rendererDir, { recursive: true });
  await writeFile(join(rendererDir, 'index.html'), '<!doctype html><title>Nova</title>');
  web = await startWebMode(['--socket', run.helper.socketPath, '--no-autostart', 'web', '--port', '0', '--renderer-dir', rendererDir]);
  ws = await openApiSocket(web);
  await run.client.call('vm.create', { name: VM, memory: '128Mi', kernel: guest.vmlinux, initrd: guest.initrdPlain, cmdline: guest.cmdline, accel: 'tcg', display: 'none', diskSize: '32Mi' });
  disk = (await run.client.call('vm.get', { name: VM })).definition.disks[0]!.path;
}, 600_000);

afterAll(async () => {
  try {
    ws?.close();
    await web?.stop();
    await run?.client.call('vm.delete', { name: VM, force: true }).catch(() => undefined);
  } finally {
    await killMatching(vmQemu);
    await run?.stop();
  }
});

describe('start, stop and snapshot of one VM at once', () => {
  it(`${ROUNDS} rounds: one acts at a time, the others are refused naming the holder, state stays consistent`, async () => {
    process.stdout.write(`[nv4g] concurrent lifecycle seed ${SEED} (NOVA_SEED to replay)\n`);
    const random = prng(SEED);
    const tally = new Map<string, number>();
    for (let round = 1; round <= ROUNDS; round++) {
      const roundStarted = Date.now();
      await ensureState(round % 2 === 0);
      const since = new Date().toISOString();
      const actors = [() => cliStart(), () => webStop(), () => scriptSnapshot(`r${round}`)];
      // A seeded order and a stagger of up to 30 ms between the three.
      const launched = actors
        .map((act) => ({ act, key: random() }))
        .sort((a, b) => a.key - b.key)
        .map(async ({ act }, i) => {
          await new Promise((r) => setTimeout(r, Math.floor(random() * 30) * i));
          return act();
        });
      const outcomes = await Promise.all(launched);
      const ops = (await run.client.call('operation.list', { resource: { kind: 'vm', name: VM }, state: 'all' })).operations;
      for (const o of outcomes) {
        tally.set(`${o.who} ${o.code}`, (tally.get(`${o.who} ${o.code}`) ?? 0) + 1);
        expect({ round, who: o.who, code: o.code }).toEqual({ round, who: o.who, code: expect.stringMatching(/^(ok|locked|failed_precondition)$/) });
        if (o.code !== 'locked') continue;
        // Named: what holds the VM is one of the other two requests of this round.
        const others = outcomes.filter((x) => x !== o).map((x) => x.label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
        expect({ round, message: o.message }).toEqual({ round, message: expect.stringMatching(new RegExp(`^VM ${VM} is busy: (${others.join('|')}) \\(started \\d+ s ago by uid 0\\)$`)) });
        if (o.operationId) expect(ops.map((op) => op.id)).toContain(o.operationId);
      }
      expect({ round, someoneActed: outcomes.some((o) => o.code !== 'locked') }).toEqual({ round, someoneActed: true });
      expectDisjoint(round, ops.filter((op) => op.startedAt >= since));
      await checkConsistent(round);
      process.stdout.write(`[nv4g] round ${round}: ${outcomes.map((o) => `${o.who} ${o.code}`).join(', ')} (${Date.now() - roundStarted} ms)\n`);
      // RAM snapshots are large: each round's goes once checked (live, if the VM runs).
      if (outcomes.some((o) => o.who === 'script' && o.code === 'ok')) await run.client.call('vm.snapshotDelete', { name: VM, snapshot: `r${round}` });
    }
    process.stdout.write(`[nv4g] outcomes: ${JSON.stringify(Object.fromEntries([...tally].sort()))}\n`);
    expect([...tally.keys()].some((k) => k.endsWith(' locked'))).toBe(true);
  }, 60_000 + ROUNDS * 40_000);
});

/** No two operations on the VM held it at the same time. */
function expectDisjoint(round: number, ops: readonly Operation[]): void {
  const spans = ops.map((op) => ({ id: op.id, from: Date.parse(op.startedAt), to: op.finishedAt ? Date.parse(op.finishedAt) : Infinity })).sort((a, b) => a.from - b.from);
  for (let i = 1; i < spans.length; i++) {
    expect({ round, overlap: spans[i]!.from < spans[i - 1]!.to ? [spans[i - 1]!.id, spans[i]!.id] : null }).toEqual({ round, overlap: null });
  }
}
