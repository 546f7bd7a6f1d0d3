// The QMP client against what this machine's QEMU really said (qmp-sessions/, recorded
// by record-qmp-session.mjs), played back whole and then with faults: bytes split
// anywhere, events between a command and its answer, errors for every answer, a stream
// cut at any byte, no greeting, a monitor gone silent, lines that are not QMP. Whatever
// the fault, every call ends (no hang) with a value or a typed NovaError.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isNovaError } from '../../../src-shared/errors.js';
import { runSeed, seededRandom, soakCount } from '../../../src-shared/testing/seeded-random.js';
import { QMP_MAX_LINE_BYTES, QmpClient, type QmpEvent } from './qmp-client.js';
import { RECORDED_SESSION, replayServer, type ReplayOptions, type ReplayServer, type SessionLine } from './qmp-sessions/qmp-replay-server.js';

const SEED = runSeed(process.env);
const TIMEOUT_MS = 150;
let dir: string;
let servers: ReplayServer[];
let clients: QmpClient[];
let n = 0;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nv4i-qmp-'));
  servers = [];
  clients = [];
});

afterEach(async () => {
  for (const c of clients) c.close();
  for (const s of servers) await s.close();
  await rm(dir, { recursive: true, force: true });
});

/** Each call of the recorded session, as the engine makes it; the first is connect (qmp_capabilities). */
const CALLS: Array<[string, (q: QmpClient) => Promise<unknown>]> = [
  ['query-status', (q) => q.queryStatus()],
  ['stop', (q) => q.stop()],
  ['query-status', (q) => q.queryStatus()],
  ['cont', (q) => q.cont()],
  ['query-blockstats', (q) => q.queryBlockstats()],
  ['query-jobs', (q) => q.queryJobs()],
  ['set_password', (q) => q.setVncPassword('x')],
  ['nova-no-such-command', (q) => q.execute('nova-no-such-command')],
  ['device_del', (q) => q.execute('device_del', { id: 'nova-no-such-device' })],
  ['job-dismiss', (q) => q.execute('job-dismiss', { id: 'nova-no-such-job' })],
  ['query-status', (q) => q.execute('query-status', { unexpected: 1 })],
  ['system_reset', (q) => q.systemReset()],
  ['quit', (q) => q.quit()],
];

/** A call's end as one comparable string: "ok {...}", or the NovaError's code. */
async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    return `ok ${JSON.stringify((await p) ?? null)}`;
  } catch (err) {
    return isNovaError(err) ? err.code : `not a NovaError: ${String(err)}`;
  }
}

interface Played {
  connect: string;
  calls: string[];
  events: string[];
  server: ReplayServer;
  ms: number;
}

async function play(options: Partial<ReplayOptions> = {}, timeoutMs = TIMEOUT_MS): Promise<Played> {
  const path = join(dir, `qmp-${++n}.sock`);
  const server = await replayServer(path, { session: RECORDED_SESSION, ...options });
  servers.push(server);
  const t0 = Date.now();
  const events: string[] = [];
  let client: QmpClient | null = null;
  const connect = await outcome(QmpClient.connect(path, { timeoutMs }).then((c) => {
    client = c;
    clients.push(c);
    c.onEvent((e: QmpEvent) => events.push(`${e.event}${e.synthetic ? '*' : ''}`));
    return 'connected';
  })).then((o) => o.replace(/^ok "connected"$/, 'connected'));
  const calls: string[] = [];
  if (client) for (const [, call] of CALLS) calls.push(await outcome(call(client)));
  if (client) await (client as QmpClient).waitClosed();
  return { connect, calls, events, server, ms: Date.now() - t0 };
}

const AS_RECORDED = [
  'ok {"status":"prelaunch","singlestep":false,"running":false}',
  'ok null',
  'ok {"status":"prelaunch","singlestep":false,"running":false}',
  'ok null',
  'ok []',
  'ok []',
  'failed_precondition',
  'unsupported',
  'not_found',
  'failed_precondition',
  'failed_precondition',
  'ok null',
  'ok null',
];

const qemuLines = (f: (line: string, i: number) => string[]) => (session: readonly SessionLine[]): SessionLine[] =>
  session.flatMap((l, i) => (l.from === 'qemu' ? f(l.line, i).map((line): SessionLine => ({ from: 'qemu', line })) : [l]));
const isAnswer = (line: string) => /"(return|error)":/.test(line);

describe('QmpClient on a recorded QEMU 7.2 session', () => {
  it('plays the session as recorded: values, typed errors, events in order', async () => {
    const p = await play();
    expect(p.connect).toBe('connected');
    expect(p.calls).toEqual(AS_RECORDED);
    expect(p.server.mismatches).toEqual([]);
    expect(p.events).toEqual(['RESUME', 'RESET', 'SHUTDOWN', 'DISCONNECTED*']);
  });

  it(`reads the same whatever the bytes' split (seed ${SEED})`, async () => {
    const random = seededRandom(SEED);
    for (let round = 0; round < soakCount(process.env, 200, 10); round++) {
      const chunks = (bytes: string) => {
        const out: string[] = [];
        for (let at = 0; at < bytes.length; ) {
          const size = 1 + random.int(random.next() < 0.3 ? 3 : 64);
          out.push(bytes.slice(at, at + size));
          at += size;
        }
        return out;
      };
      const p = await play({ chunks: (b) => [chunks(b).join('\u0000')].flatMap((s) => s.split('\u0000')) });
      expect({ round, calls: p.calls }).toEqual({ round, calls: AS_RECORDED });
    }
  });

  it('delivers events that arrive between a command and its answer, and still matches each answer', async () => {
    const stop = '{"timestamp": {"seconds": 1, "microseconds": 2}, "event": "STOP"}';
    const odd = '{"timestamp": "not a time", "event": "BLOCK_JOB_READY", "data": [1, 2]}';
    const session = qemuLines((line) => (isAnswer(line) ? [stop, odd, line] : [line]))(RECORDED_SESSION);
    const p = await play({ session });
    expect(p.calls).toEqual(AS_RECORDED);
    expect(p.events.filter((e) => e === 'STOP').length).toBe(session.filter((l) => l.line === stop).length - 1);
  });

  it('maps every error class QEMU has to a code, for every answer', async () => {
    const classes: Record<string, string> = {
      GenericError: 'failed_precondition',
      CommandNotFound: 'unsupported',
      DeviceNotFound: 'not_found',
      DeviceNotActive: 'failed_precondition',
      KVMMissingCap: 'unsupported',
      SomethingNew: 'failed_precondition',
    };
    for (const [errorClass, code] of Object.entries(classes)) {
      const session = qemuLines((line, i) => (isAnswer(line) && i > 2 ? [line.replace(/"return": (\{\}|\[\]|\{[^}]*\})/, `"error": {"class": "${errorClass}", "desc": "no"}`)] : [line]))(RECORDED_SESSION);
      const p = await play({ session });
      expect({ errorClass, calls: p.calls.slice(0, 6) }).toEqual({ errorClass, calls: Array(6).fill(code) });
    }
    // qmp_capabilities refused: connect fails with the class's code.
    const refused = qemuLines((line, i) => (i === 2 ? [line.replace('"return": {}', '"error": {"class": "CommandNotFound", "desc": "no"}')] : [line]))(RECORDED_SESSION);
    expect((await play({ session: refused })).connect).toBe('unsupported');
  });

  it('ends every call when the stream is cut at any byte, each as recorded or unavailable', async () => {
    const total = RECORDED_SESSION.filter((l) => l.from === 'qemu').reduce((sum, l) => sum + l.line.length + 2, 0);
    const random = seededRandom(SEED + 1);
    const cuts = [0, 1, 50, total - 1, ...Array.from({ length: soakCount(process.env, 300, 15) }, () => random.int(total))];
    for (const cut of cuts) {
      const p = await play({ truncateAt: cut });
      expect(['connected', 'unavailable']).toContain(p.connect);
      // Each call ends as recorded until the cut, then unavailable (quit counts a close as done).
      const firstLost = p.calls.findIndex((c, i) => c !== AS_RECORDED[i]);
      const lost = firstLost === -1 ? [] : p.calls.slice(firstLost, -1);
      expect({ cut, lost: [...new Set(lost)] }).toEqual({ cut, lost: lost.length > 0 ? ['unavailable'] : [] });
      if (p.connect === 'connected') expect(p.events.at(-1)).toBe('DISCONNECTED*');
    }
  });

  it('times out a monitor that never greets, greets with garbage or greets twice and then says nothing', async () => {
    const [greeting, ...rest] = RECORDED_SESSION;
    const noGreeting = await play({ session: rest });
    expect(noGreeting.connect).toBe('timeout');
    const garbage = await play({ session: [{ from: 'qemu', line: '{"QMP": ' }, ...rest] });
    expect(garbage.connect).toBe('timeout');
    const twice = await play({ session: [greeting!, greeting!, ...rest] });
    expect(twice.calls).toEqual(AS_RECORDED);
    for (const p of [noGreeting, garbage]) expect(p.ms).toBeLessThan(TIMEOUT_MS + 2_000);
  });

  it('bounds every command of a monitor gone silent after negotiating', async () => {
    const silent = RECORDED_SESSION.slice(0, 3);
    const p = await outcome((async () => {
      const path = join(dir, 'silent.sock');
      servers.push(await replayServer(path, { session: silent, holdOpen: true }));
      const c = await QmpClient.connect(path, { timeoutMs: TIMEOUT_MS });
      clients.push(c);
      const t0 = Date.now();
      const calls = await Promise.all(CALLS.slice(0, 6).map(([, call]) => outcome(call(c))));
      return { calls, inTime: Date.now() - t0 < TIMEOUT_MS + 2_000 };
    })());
    expect(p).toBe(`ok ${JSON.stringify({ calls: Array(6).fill('timeout'), inTime: true })}`);
  });

  it('drops lines that are not QMP messages without failing or crashing', async () => {
    const junk = ['null', '42', '"text"', '[]', 'true', '{"error": null, "id": "nova-2"}', '{"return": {}, "id": 7}', '{"event": 5}', '{"__proto__": {"polluted": 1}}', '\u0000\u0001'];
    const session = qemuLines((line) => (isAnswer(line) ? [...junk, line] : [line]))(RECORDED_SESSION);
    const p = await play({ session });
    expect(p.connect).toBe('connected');
    // {"error": null, "id": "nova-2"} answers query-status (its id is the client's second) with an untyped error.
    expect(p.calls).toEqual(['failed_precondition', ...AS_RECORDED.slice(1)]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it.each([
    ['ended', '"}'],
    ['never ended', ''],
  ])('cuts off a monitor that sends a line longer than any QEMU answer (%s)', async (_label, end) => {
    const huge = `{"return": "${'x'.repeat(QMP_MAX_LINE_BYTES + 1024)}${end}`;
    const session = qemuLines((line, i) => (i === 4 ? [huge] : [line]))(RECORDED_SESSION).slice(0, end ? undefined : 5);
    // Long enough a deadline for 8 MiB to cross the socket: the limit, not the clock, must end it.
    const p = await play({ session }, 10_000);
    expect(p.connect).toBe('connected');
    expect(p.calls[0]).toBe('unavailable');
    expect(p.events.at(-1)).toBe('DISCONNECTED*');
  });
});
