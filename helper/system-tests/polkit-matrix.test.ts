// Every helper method of the contract, called as root, as a member of the nova group, at
// the active local session (a stand-in rule: no logind here, see polkit-harness.ts) and
// as nobody, against a real polkitd; the answers must be the written-out table
// (fixtures/polkit-matrix.txt). Each call carries params no method accepts, so an allowed
// call ends in invalid_argument and nothing runs. Then a call whose client hangs up while
// polkit is still deciding must never run (NOVA_SOAK=1: 200 rounds; else 20).
// Run it alone: polkit tests share the system bus.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POLKIT_ACTIONS } from '../../src-shared/actions.js';
import { HELPER_METHOD_NAMES } from '../../src-shared/api/nova-api.js';
import { soakCount } from '../../src-shared/testing/seeded-random.js';
import { createGroup, createUser } from './fixtures/test-accounts.js';
import { makeTestDir, RAW_CLIENT, removeTestDir, request, startHelper, type RunningHelper } from './helper-harness.js';
import { activeSessionStandIn, novaGroupRule, polkitAvailable, startPolkit, type PolkitHarness } from './polkit-harness.js';

const PREFIX = 'nv4i';
const GROUP = 'nv4i-nova';
const MEMBER = 'nv4i-member';
const DESK = 'nv4i-desk';
/** In the group too, but polkit takes its time over each of its checks. */
const SLOW = 'nv4i-slow';
const SLOW_MS = 600;
const USERS = { root: 'root', member: MEMBER, desk: DESK, nobody: 'nobody' } as const;
type Who = keyof typeof USERS;

let dir = '';
let helper: RunningHelper;
let polkit: PolkitHarness;
const cleanups: Array<() => Promise<void>> = [];

/**
 * For SLOW alone: spends SLOW_MS on every check before the later rules decide (it answers
 * host.inspect itself, so the harness can tell it is loaded).
 */
const slowRule = `polkit.addRule(function (action, subject) {
  if (subject.user != ${JSON.stringify(SLOW)}) return polkit.Result.NOT_HANDLED;
  var end = Date.now() + ${SLOW_MS};
  while (Date.now() < end) {}
  return action.id == ${JSON.stringify(POLKIT_ACTIONS.hostInspect)} ? polkit.Result.YES : polkit.Result.NOT_HANDLED;
});
`;

/** Calls sent on one connection at once: below the helper's bound on a connection's requests in flight. */
const MATRIX_BATCH = 16;

function expectedTable(): Record<string, Record<Who, string>> {
  const rows = readFileSync(join(import.meta.dirname, 'fixtures/polkit-matrix.txt'), 'utf8').split('\n').filter((l) => l.trim() && !l.startsWith('#'));
  return Object.fromEntries(rows.map((l) => {
    const [method = '', , root = '', member = '', desk = '', nobody = ''] = l.trim().split(/\s+/);
    return [method, { root, member, desk, nobody }];
  }));
}

/** Every method once from one process of `user`; allow or deny per method. */
function answersOf(user: string): Record<string, string> {
  const frames = HELPER_METHOD_NAMES.map((m, i) => request(i + 1, m, { 'nv4i-matrix': true }));
  const ids = user === 'root' ? [] : user === 'nobody' ? ['--reuid=nobody', '--regid=nogroup', '--clear-groups'] : [`--reuid=${user}`, `--regid=${user}`, '--init-groups'];
  const argv = user === 'root' ? [process.execPath, RAW_CLIENT, helper.socketPath] : ['setpriv', ...ids, process.execPath, RAW_CLIENT, helper.socketPath];
  // In batches: one connection's requests in flight are bounded, and past that the helper answers `unavailable`.
  const replies: Array<{ id: number; error?: { data?: { code?: string } } }> = [];
  for (let at = 0; at < frames.length; at += MATRIX_BATCH) {
    const batch = frames.slice(at, at + MATRIX_BATCH);
    const r = spawnSync(argv[0]!, argv.slice(1), { input: JSON.stringify(batch), encoding: 'utf8', timeout: 60_000 });
    const got = r.stdout.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as { id: number; error?: { data?: { code?: string } } });
    if (got.length !== batch.length) throw new Error(`${user}: ${got.length} answers to ${batch.length} calls: ${r.stderr}`);
    replies.push(...got);
  }
  return Object.fromEntries(replies.map((reply) => {
    const code = reply.error?.data?.code;
    const verdict = code === 'not_authorized' ? 'deny' : code === 'invalid_argument' ? 'allow' : `unexpected ${code ?? 'result'}`;
    return [HELPER_METHOD_NAMES[reply.id - 1]!, verdict];
  }));
}

beforeAll(async () => {
  if (!polkitAvailable()) throw new Error('polkit is not installed: run .ci/bootstrap (apt-get install dbus polkitd pkexec)');
  dir = await makeTestDir(PREFIX);
  cleanups.push(await createGroup(GROUP));
  cleanups.push(await createUser(MEMBER, [GROUP]));
  cleanups.push(await createUser(DESK));
  cleanups.push(await createUser(SLOW, [GROUP]));
  polkit = await startPolkit(PREFIX);
  await polkit.addRules(40, 'slow', slowRule, { user: SLOW, action: POLKIT_ACTIONS.hostInspect, exitCode: 0 });
  await polkit.addRules(50, 'nova-group', novaGroupRule(GROUP), { user: MEMBER, action: POLKIT_ACTIONS.vmManage, exitCode: 0 });
  await polkit.addRules(60, 'active-session', activeSessionStandIn(DESK), { user: DESK, action: POLKIT_ACTIONS.vmView, exitCode: 0 });
  helper = await startHelper(dir);
}, 120_000);

afterAll(async () => {
  await helper?.stop();
  await polkit?.stop();
  for (const c of cleanups.reverse()) await c();
  await removeTestDir(dir);
});

describe('who may call what, against a real polkitd', () => {
  it('answers every method for every kind of caller as the written-out table says', () => {
    const expected = expectedTable();
    expect(Object.keys(expected).sort()).toEqual([...HELPER_METHOD_NAMES].sort());
    const actual: Record<string, Record<Who, string>> = {};
    for (const who of Object.keys(USERS) as Who[]) {
      const answers = answersOf(USERS[who]);
      for (const [method, verdict] of Object.entries(answers)) (actual[method] ??= {} as Record<Who, string>)[who] = verdict;
    }
    expect(actual).toEqual(expected);
  }, 300_000);
});

describe('a client that hangs up while polkit decides', () => {
  it(`never has its call run (${soakCount(process.env, 200, 20)} rounds)`, async () => {
    const rounds = soakCount(process.env, 200, 20);
    // Each client sends a valid vm.create and hangs up well before polkit (SLOW_MS) answers.
    const client = `
      const s = require('node:net').createConnection(process.argv[1]);
      s.on('connect', () => { s.write(process.argv[2] + '\\n'); setTimeout(() => { s.destroy(); process.exit(0); }, 50); });
      s.on('error', () => process.exit(2));`;
    for (let i = 0; i < rounds; i++) {
      const frame = request(1, 'vm.create', { name: `nv4i-gone-${i}`, display: 'none' });
      const r = spawnSync('setpriv', [`--reuid=${SLOW}`, `--regid=${SLOW}`, '--init-groups', process.execPath, '-e', client, helper.socketPath, frame], { timeout: 10_000 });
      expect(r.status).toBe(0);
    }
    // The last check ends SLOW_MS after its client left; a call let through would have made its VM by then.
    await new Promise((r) => setTimeout(r, SLOW_MS * 3));
    const list = spawnSync(process.execPath, [RAW_CLIENT, helper.socketPath], { input: JSON.stringify([request(1, 'vm.list', {})]), encoding: 'utf8', timeout: 30_000 });
    const vms = (JSON.parse(list.stdout.split('\n')[0]!) as { result: { vms: Array<{ definition: { name: string } }> } }).result.vms.map((v) => v.definition.name);
    expect(vms.filter((n) => n.startsWith('nv4i-gone-'))).toEqual([]);
    // The same caller, staying connected, is served: the refusal is for the hang-up, not for SLOW.
    const stay = spawnSync('setpriv', [`--reuid=${SLOW}`, `--regid=${SLOW}`, '--init-groups', process.execPath, RAW_CLIENT, helper.socketPath], {
      input: JSON.stringify([request(1, 'vm.create', { name: 'nv4i-stayed', display: 'none' })]),
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(JSON.parse(stay.stdout.split('\n')[0]!)).toMatchObject({ result: { definition: { name: 'nv4i-stayed' } } });
  }, 600_000);
});
