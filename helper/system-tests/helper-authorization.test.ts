// Authorization with a real polkit: a caller running as `nobody` is refused until a
// polkit rule allows it, and the refusal keeps its code through every hop
// (helper -> CLI, helper -> main -> renderer over web mode). Events are a subscription
// authorized like a view call: a connection polkit does not allow hears none of them.
import { spawn, spawnSync } from 'node:child_process';
import { mkdir, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_NOTIFICATION } from '../../src-shared/wire/notifications.js';
import { waitFor } from './fixtures/wait-for.js';
import { CLI_BUNDLE, makeTestDir, rawCall, REPO, removeTestDir, request, startHelper, type RunningHelper } from './helper-harness.js';
import { polkitAvailable, startPolkit, type PolkitHarness } from './polkit-harness.js';
import { callOverSocket, openApiSocket, startWebMode } from './web-client.js';

const PREFIX = 'nv2i-auth';
const EVENT_LISTENER = join(REPO, 'helper/system-tests/fixtures/event-listener.mjs');
let dir = '';
let helper: RunningHelper;
let polkit: PolkitHarness;

beforeAll(async () => {
  if (!polkitAvailable()) throw new Error('polkit is not installed: run .ci/bootstrap (apt-get install dbus polkitd pkexec)');
  dir = await makeTestDir(PREFIX);
  polkit = await startPolkit(PREFIX);
  // The test dir is an allowed root: importing a small disk from it makes events.
  helper = await startHelper(dir, { extraArgs: ['--allowed-root', dir] });
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

interface Listener {
  lines: () => Array<{ id?: unknown; method?: string; params?: { name?: string }; error?: { data?: { code?: string } } }>;
  /** Sends one more frame on the connection. */
  send: (frame: string) => void;
  stop: () => Promise<void>;
}

/** A connection that sends `frames` and keeps every line the helper sends it. */
function listen(frames: string[], asNobody: boolean): Listener {
  const argv = [process.execPath, EVENT_LISTENER, helper.socketPath, JSON.stringify(frames)];
  const cmd = asNobody ? ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups', ...argv] : argv;
  const [file, ...args] = cmd as [string, ...string[]];
  const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    lines: () => out.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as ReturnType<Listener['lines']>[number]),
    send: (frame) => child.stdin.write(frame + '\n'),
    stop: async () => {
      child.stdin.end();
      const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(killer);
    },
  };
}

/** Root imports and removes a small disk: a few operation.changed events. */
async function makeEvents(name: string): Promise<void> {
  const disk = join(dir, `${name}.raw`);
  await writeFile(disk, '');
  await truncate(disk, 1024 * 1024);
  for (const frame of [request(1, 'image.import', { path: disk, name }), request(2, 'image.remove', { name })]) {
    const { replies } = await rawCall(helper.socketPath, [frame]);
    expect(replies[0]).toHaveProperty('result');
  }
}

const events = (l: Listener) => l.lines().filter((m) => m.method === EVENT_NOTIFICATION);
const subscribe = request(1, 'events.subscribe', {});
const answered = (l: Listener, id: number) => l.lines().some((m) => m.id === id);

/**
 * The helper writes an event to every subscriber at once, and answers a request on a
 * connection after all it wrote there before: once this ping is answered, every event
 * sent so far to the others has reached this connection too, if it was sent at all.
 */
async function barrier(l: Listener): Promise<void> {
  l.send(request(99, 'helper.ping', { payload: 'barrier' }));
  await waitFor(() => answered(l, 99), 10_000, 'the barrier ping');
}

/** Root makes events and hears them on `heard`; then `quiet` is caught up with. */
async function eventsHeardBy(heard: Listener, quiet: Listener[], name: string): Promise<void> {
  await makeEvents(name);
  await waitFor(() => events(heard).some((e) => e.params?.name === 'operation.changed'), 10_000, 'the events of the import');
  for (const l of quiet) await barrier(l);
}

describe('events as a subscription', () => {
  it('sends no events to a connection that polkit does not allow to view', async () => {
    const nobody = listen([subscribe], true);
    const root = listen([subscribe], false);
    try {
      await waitFor(() => answered(nobody, 1) && answered(root, 1), 10_000, 'both subscriptions answered');
      await eventsHeardBy(root, [nobody], 'nv12r-ev1');
    } finally {
      await nobody.stop();
      await root.stop();
    }
    expect(events(nobody).map((e) => e.params?.name)).toEqual([]);
    expect(nobody.lines().find((m) => m.id === 1)?.error?.data?.code).toBe('not_authorized');
  });

  it('sends events to that connection once polkit allows it to view, and only after it subscribed', async () => {
    await polkit.allow('view-events', 'org.nova.host.inspect', 'nobody');
    const subscribed = listen([subscribe], true);
    const silent = listen([request(1, 'helper.ping', { payload: 'no events' })], true);
    try {
      await waitFor(() => answered(subscribed, 1) && answered(silent, 1), 10_000, 'both answered');
      expect(subscribed.lines().find((m) => m.id === 1)).toHaveProperty('result');
      await eventsHeardBy(subscribed, [silent], 'nv12r-ev2');
    } finally {
      await subscribed.stop();
      await silent.stop();
      await polkit.removeRules();
    }
    expect(events(silent)).toEqual([]);
  });
});
