// Authorization with a real polkit: a caller running as `nobody` is refused until a
// polkit rule allows it, and the refusal keeps its code through every hop
// (helper -> CLI, helper -> main -> renderer over web mode).
import { spawnSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_BUNDLE, makeTestDir, rawCall, removeTestDir, request, startHelper, type RunningHelper } from './helper-harness.js';
import { polkitAvailable, startPolkit, type PolkitHarness } from './polkit-harness.js';
import { callOverSocket, openApiSocket, startWebMode } from './web-client.js';

const PREFIX = 'nv2i-auth';
let dir = '';
let helper: RunningHelper;
let polkit: PolkitHarness;

beforeAll(async () => {
  if (!polkitAvailable()) throw new Error('polkit is not installed: run .ci/bootstrap (apt-get install dbus polkitd pkexec)');
  dir = await makeTestDir(PREFIX);
  polkit = await startPolkit(PREFIX);
  helper = await startHelper(dir);
});

afterAll(async () => {
  await helper?.stop();
  await polkit?.stop();
  await removeTestDir(dir);
});

describe('authorization', () => {
  it('refuses an unprivileged caller that polkit does not allow, with a clear not_authorized error', async () => {
    const { replies, code } = await rawCall(helper.socketPath, [request(1, 'helper.ping', { payload: 'hi' })], true);
    expect(code).toBe(0);
    const error = replies[0]?.error as { data: { code: string; message: string } };
    expect(error.data.code).toBe('not_authorized');
    expect(error.data.message).toMatch(/Not authorized: org\.nova\.host\.inspect for uid 65534/);
    expect(helper.logs()).toContain('denied by polkit');
  });

  it('allows the same caller once a polkit rule grants the action, and only that action', async () => {
    await polkit.allow('inspect', 'org.nova.host.inspect', 'nobody');
    try {
      const { replies } = await rawCall(helper.socketPath, [request(1, 'helper.ping', { payload: 'hi' })], true);
      expect(replies[0]?.result).toEqual({ payload: 'hi' });
    } finally {
      await polkit.removeRules();
    }
    const { replies } = await rawCall(helper.socketPath, [request(2, 'helper.ping', { payload: 'again' })], true);
    expect((replies[0]?.error as { data: { code: string } }).data.code).toBe('not_authorized');
  });

  it('still serves root without asking polkit', async () => {
    const { replies } = await rawCall(helper.socketPath, [request(1, 'helper.ping', { payload: 'root' })]);
    expect(replies[0]?.result).toEqual({ payload: 'root' });
  });

  it('keeps the code from helper to CLI: exit 1 and [not_authorized]', () => {
    const r = spawnSync(
      'setpriv',
      ['--reuid=nobody', '--regid=nogroup', '--clear-groups', process.execPath, CLI_BUNDLE, '--socket', helper.socketPath, '--no-autostart', 'host', 'check'],
      { encoding: 'utf8', timeout: 30_000 },
    );
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/Not authorized: org\.nova\.host\.inspect.*\[not_authorized\]/);
  });

  it('keeps the code from helper through main to the renderer in web mode', async () => {
    const rendererDir = join(dir, 'renderer');
    await mkdir(rendererDir, { recursive: true });
    await writeFile(join(rendererDir, 'index.html'), '<!doctype html><title>Nova</title>');
    const web = await startWebMode(
      ['--socket', helper.socketPath, '--no-autostart', 'web', '--port', '0', '--renderer-dir', rendererDir],
      true,
    );
    try {
      const ws = await openApiSocket(web);
      const envelope = await callOverSocket(ws, 'host.check', { refresh: false });
      ws.close();
      expect(envelope.ok).toBe(false);
      expect(envelope.error?.code).toBe('not_authorized');
      expect(envelope.error?.message).toMatch(/org\.nova\.host\.inspect/);
    } finally {
      await web.stop();
    }
  });
});
