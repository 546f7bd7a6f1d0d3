// Smaller leaks of the root helper, each tried from outside as the report describes, by
// a caller running as `nobody` whom a private polkit allows to manage: a veth put into a
// network namespace Nova did not make, path errors that tell where a link outside the
// allowed folders points (and so whether files the caller cannot see exist), and the
// environment choosing the native code the root helper loads (NOVA_PEERCRED_ADDON).
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POLKIT_ACTIONS } from '../../src-shared/actions.js';
import { makeTestDir, rawCall, removeTestDir, REPO, request, startHelper, type RunningHelper } from './helper-harness.js';
import { polkitAvailable, startPolkit, type PolkitHarness } from './polkit-harness.js';

const PREFIX = 'nv12w-leaks';
const RUN = randomBytes(3).toString('hex');
/** The helper's own network namespace: its bridges live there. */
const HOST_NS = `nv12wh${RUN}`;
/** Somebody else's namespace (a VPN's, another tool's containers): not Nova's. */
const OTHER_NS = `nv12wo${RUN}`;
const NET = `nv12w${RUN}`;
const SUBNET = `10.212.${parseInt(RUN.slice(0, 2), 16)}.1/24`;

let dir = '';
let allowed = '';
let outside = '';
let marker = '';
let helper: RunningHelper | null = null;
let polkit: PolkitHarness | null = null;

interface Reply {
  result?: unknown;
  error?: { data?: { code: string; message: string } };
}

async function call(method: string, params: unknown, asNobody: boolean): Promise<Reply> {
  const { replies } = await rawCall(helper!.socketPath, [request(1, method, params)], asNobody);
  return (replies[0] ?? {}) as Reply;
}

const nobody = (method: string, params: unknown) => call(method, params, true);
const root = (method: string, params: unknown) => call(method, params, false);

function linksIn(netns: string): string[] {
  const out = execFileSync('ip', ['-n', netns, '-j', 'link', 'show'], { encoding: 'utf8', timeout: 10_000 });
  return (JSON.parse(out) as Array<{ ifname: string }>).map((l) => l.ifname);
}

beforeAll(async () => {
  if (!polkitAvailable()) throw new Error('polkit is not installed: run .ci/bootstrap (apt-get install dbus polkitd pkexec)');
  dir = await makeTestDir(PREFIX);
  allowed = join(dir, 'allowed');
  outside = join(dir, 'outside');
  await mkdir(allowed, { mode: 0o755 });
  // The caller cannot look in here; only the helper (root) can.
  await mkdir(outside, { mode: 0o700 });
  await writeFile(join(outside, 'secret.img'), 'nv12w secret');
  await symlink(join(outside, 'secret.img'), join(allowed, 'to-secret.img'));
  await symlink(join(outside, 'missing.img'), join(allowed, 'to-missing.img'));

  // What a launcher that passes its environment on would hand the root helper.
  marker = join(dir, 'planted-code-ran');
  const planted = join(dir, 'planted.cjs');
  const realAddon = join(REPO, 'out/helper/peercred.node');
  await writeFile(planted, `require('node:fs').writeFileSync(${JSON.stringify(marker)}, 'uid ' + process.getuid());\nmodule.exports = require(${JSON.stringify(realAddon)});\n`);
  await chmod(planted, 0o644);

  for (const ns of [HOST_NS, OTHER_NS]) execFileSync('ip', ['netns', 'add', ns], { timeout: 10_000 });
  execFileSync('ip', ['-n', HOST_NS, 'link', 'set', 'lo', 'up'], { timeout: 10_000 });
  polkit = await startPolkit(PREFIX);
  for (const [name, action] of Object.entries({ vm: POLKIT_ACTIONS.vmManage, capsule: POLKIT_ACTIONS.capsuleManage, network: POLKIT_ACTIONS.networkManage, inspect: POLKIT_ACTIONS.hostInspect })) {
    await polkit.allow(name, action, 'nobody');
  }
  helper = await startHelper(dir, { netns: HOST_NS, extraArgs: ['--allowed-root', allowed], env: { NOVA_PEERCRED_ADDON: planted } });
});

afterAll(async () => {
  if (helper) {
    await root('network.delete', { name: NET }).catch(() => undefined);
    await helper.stop();
  }
  await polkit?.stop();
  for (const ns of [OTHER_NS, HOST_NS]) spawnSync('ip', ['netns', 'delete', ns], { timeout: 10_000 });
  await removeTestDir(dir);
});

describe('the helper leaks nothing small to a caller', () => {
  it('never loads code the environment names (NOVA_PEERCRED_ADDON)', async () => {
    // The helper needs its peer-credential addon for this call's caller, so it has loaded one.
    expect((await nobody('helper.ping', { payload: 'hi' })).result).toEqual({ payload: 'hi' });
    expect(existsSync(marker)).toBe(false);
  });

  it('puts no interface into a network namespace Nova did not make', async () => {
    expect((await root('network.create', { name: NET, profile: 'internal', subnet: SUBNET })).error).toBeUndefined();
    const refused = await nobody('network.attach', { network: NET, resource: 'intruder', kind: 'veth', netns: OTHER_NS });
    expect(refused.error?.data?.code).toBe('not_authorized');
    expect(refused.error?.data?.message).toContain(OTHER_NS);
    expect(linksIn(OTHER_NS)).toEqual(['lo']);
    // The same name refused whether it exists or not: the caller learns nothing from it.
    const missing = await nobody('network.attach', { network: NET, resource: 'intruder', kind: 'veth', netns: `nv12wz${RUN}` });
    expect(missing.error?.data?.code).toBe('not_authorized');
    // Root may still wire up a namespace of its own choosing (it could with `ip` anyway).
    expect((await root('network.attach', { network: NET, resource: 'wired', kind: 'veth', netns: OTHER_NS })).error).toBeUndefined();
    expect(linksIn(OTHER_NS)).toContain('eth0');
    expect((await root('network.detach', { network: NET, resource: 'wired' })).error).toBeUndefined();
  });

  it.each([
    ['image.import', { name: 'nv12w-probe' }],
    ['ociImage.import', { name: 'nv12w-probe' }],
  ])('%s says the same for a link out of the allowed folders whether its target exists, and never where it points', async (method, params) => {
    const toSecret = await nobody(method, { ...params, path: join(allowed, 'to-secret.img') });
    const toMissing = await nobody(method, { ...params, path: join(allowed, 'to-missing.img') });
    const plainSecret = await nobody(method, { ...params, path: join(outside, 'secret.img') });
    const plainMissing = await nobody(method, { ...params, path: join(outside, 'missing.img') });
    for (const reply of [toSecret, toMissing, plainSecret, plainMissing]) expect(reply.error?.data?.code).toBe('invalid_argument');
    // Only the path the caller gave comes back, never where a link leads.
    for (const reply of [toSecret, toMissing]) expect(JSON.stringify(reply.error)).not.toContain(outside);
    const shape = (r: Reply, path: string) => r.error?.data?.message.replace(path, 'PATH');
    expect(shape(toSecret, join(allowed, 'to-secret.img'))).toBe(shape(toMissing, join(allowed, 'to-missing.img')));
    expect(shape(plainSecret, join(outside, 'secret.img'))).toBe(shape(plainMissing, join(outside, 'missing.img')));
  });

  it('still says plainly that a file inside the allowed folders does not exist', async () => {
    const reply = await nobody('image.import', { name: 'nv12w-probe', path: join(allowed, 'typo.img') });
    expect(reply.error?.data?.code).toBe('not_found');
    expect(reply.error?.data?.message).toContain('does not exist');
  });
});
