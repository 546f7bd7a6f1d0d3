// Everyday access with a real polkit: views come without a prompt at the desk, changes
// ask; members of the nova group change things without a prompt but never pass a device
// through; anyone else gets nothing. Accounts and the group are the test's own (nv13a-).
//
// polkit grants allow_active only to a process in an active local logind session, and
// these machines run no logind: every process here is "in no session", which polkit
// treats as allow_any. So the desk is a stand-in: a rules file, generated from the
// policy's own allow_active values, that answers for one test user exactly what the
// policy's defaults answer for an active local session. The group rule under test is
// the real resources/50-nova.rules, with only its group name pointed at the test group.
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POLKIT_ACTIONS } from '../../src-shared/actions.js';
import { createGroup, createUser } from './fixtures/test-accounts.js';
import { CLI_BUNDLE, makeTestDir, RAW_CLIENT, removeTestDir, request, startHelper, type RunningHelper } from './helper-harness.js';
import { activeSessionStandIn, novaGroupRule, polkitAvailable, startPolkit, type PolkitHarness } from './polkit-harness.js';

const PREFIX = 'nv13a';
const GROUP = 'nv13a-nova';
/** At the active local session (through the stand-in rule), in no group. */
const DESK = 'nv13a-desk';
/** In the test's nova group, in no session: as a member logged in over SSH. */
const MEMBER = 'nv13a-member';
/** Neither: what an SSH login or a service account gets by default. */
const OUTSIDER = 'nv13a-out';

let dir = '';
let helper: RunningHelper;
let polkit: PolkitHarness;
const cleanups: Array<() => Promise<void>> = [];

interface Reply {
  result?: unknown;
  error?: { data?: { code: string; message: string } };
}

/** One call to the helper from a process of `user` (with that user's groups). */
function callAs(user: string, method: string, params: unknown = {}): Reply {
  const r = spawnSync('setpriv', [`--reuid=${user}`, `--regid=${user}`, '--init-groups', process.execPath, RAW_CLIENT, helper.socketPath], {
    input: JSON.stringify([request(1, method, params)]),
    encoding: 'utf8',
    timeout: 30_000,
  });
  const line = r.stdout.split('\n').find((l) => l.trim());
  if (!line) throw new Error(`no reply to ${method} as ${user}: ${r.stderr}`);
  return JSON.parse(line) as Reply;
}

function novaAs(user: string, args: string[]) {
  return spawnSync('setpriv', [`--reuid=${user}`, `--regid=${user}`, '--init-groups', process.execPath, CLI_BUNDLE, '--socket', helper.socketPath, '--no-autostart', ...args], {
    encoding: 'utf8',
    timeout: 30_000,
  });
}

const VIEWS: Array<[string, unknown]> = [
  ['vm.list', {}],
  ['capsule.list', {}],
  ['network.list', {}],
  ['events.subscribe', {}],
  ['operation.list', {}],
  ['ociImage.list', {}],
  ['image.list', {}],
];

beforeAll(async () => {
  if (!polkitAvailable()) throw new Error('polkit is not installed: run .ci/bootstrap (apt-get install dbus polkitd pkexec)');
  dir = await makeTestDir(PREFIX);
  cleanups.push(await createGroup(GROUP));
  cleanups.push(await createUser(DESK));
  cleanups.push(await createUser(MEMBER, [GROUP]));
  cleanups.push(await createUser(OUTSIDER));
  polkit = await startPolkit(PREFIX);
  await polkit.addRules(50, 'nova-group', novaGroupRule(GROUP), { user: MEMBER, action: POLKIT_ACTIONS.vmManage, exitCode: 0 });
  await polkit.addRules(60, 'active-session', activeSessionStandIn(DESK), { user: DESK, action: POLKIT_ACTIONS.vmView, exitCode: 0 });
  helper = await startHelper(dir);
});

afterAll(async () => {
  await helper?.stop();
  await polkit?.stop();
  for (const c of cleanups.reverse()) await c();
  await removeTestDir(dir);
});

describe('at the desk: views without a prompt, changes ask', () => {
  it.each(VIEWS)('%s answers without a prompt', (method, params) => {
    const reply = callAs(DESK, method, params);
    expect(reply.error?.data).toBeUndefined();
    expect(reply).toHaveProperty('result');
  });

  it('refuses vm.create with what would let the user in, and creates nothing', () => {
    const reply = callAs(DESK, 'vm.create', { name: 'nv13a-desk1', display: 'none' });
    expect(reply.error?.data?.code).toBe('not_authorized');
    expect(reply.error?.data?.message).toMatch(
      /^Not authorized: org\.nova\.vm\.manage for uid \d+: authentication is required and no polkit agent answered\. Changing VMs needs an administrator's password or membership in the nova group\.$/,
    );
    expect(callAs('root', 'vm.list').result).toEqual({ vms: [], broken: [] });
  });

  it('the CLI lists, then refuses the first change with the same words', () => {
    const list = novaAs(DESK, ['vm', 'ls']);
    expect(list.stderr).toBe('');
    expect(list.status).toBe(0);
    const create = novaAs(DESK, ['vm', 'create', 'nv13a-desk2']);
    expect(create.status).toBe(1);
    expect(create.stderr).toMatch(/org\.nova\.vm\.manage.*Changing VMs needs an administrator's password or membership in the nova group\..*\[not_authorized\]/);
  });

  it('device passthrough asks for authentication', async () => {
    expect(await polkit.check(DESK, POLKIT_ACTIONS.devicePassthrough)).toBe(2);
  });
});

describe('a member of the nova group, in any session', () => {
  it.each(VIEWS)('%s answers without a prompt', (method, params) => {
    expect(callAs(MEMBER, method, params)).toHaveProperty('result');
  });

  it('creates and deletes a VM without a prompt', () => {
    const created = callAs(MEMBER, 'vm.create', { name: 'nv13a-m1', display: 'none' });
    expect(created.error?.data).toBeUndefined();
    expect(created.result).toMatchObject({ definition: { name: 'nv13a-m1' }, state: 'stopped' });
    expect(callAs(MEMBER, 'vm.delete', { name: 'nv13a-m1' })).toEqual(expect.objectContaining({ result: { ok: true } }));
    expect(callAs('root', 'vm.list').result).toEqual({ vms: [], broken: [] });
  });

  it('is never granted device passthrough by the group', async () => {
    expect(await polkit.check(MEMBER, POLKIT_ACTIONS.devicePassthrough)).not.toBe(0);
    // ...while the group rule does answer for that user: it is the rule that leaves passthrough out.
    expect(await polkit.check(MEMBER, POLKIT_ACTIONS.capsuleManage)).toBe(0);
  });
});

describe('anyone else (an SSH login, a service): nothing by default', () => {
  it.each(['vm.list', 'capsule.list', 'network.list', 'events.subscribe'])('%s is refused, saying where views are allowed', (method) => {
    const reply = callAs(OUTSIDER, method);
    expect(reply.error?.data?.code).toBe('not_authorized');
    expect(reply.error?.data?.message).toMatch(/polkit does not allow it\. .* is allowed to the active local desktop session; from elsewhere \(SSH, a service\) it needs membership in the nova group\.$/);
  });

  it('vm.create is refused', () => {
    expect(callAs(OUTSIDER, 'vm.create', { name: 'nv13a-out1', display: 'none' }).error?.data?.code).toBe('not_authorized');
  });
});
