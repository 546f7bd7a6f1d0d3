// The helper as a daemon: graceful SIGTERM, one helper per state dir, and main's
// HelperClient reconnecting when the helper restarts underneath it, its event
// subscription renewed with the connection.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HelperClient } from '../../src-main/core/helper-client.js';
import { HELPER_BUNDLE, makeTestDir, rawCall, removeTestDir, request, startHelper, type RunningHelper } from './helper-harness.js';

async function rawPing(socketPath: string): Promise<unknown> {
  const { replies } = await rawCall(socketPath, [request(1, 'helper.ping', { payload: 'still first' })]);
  return (replies[0]?.result as { payload?: string } | undefined)?.payload;
}

const PREFIX = 'nv2i-life';
const dirs: string[] = [];
const helpers: RunningHelper[] = [];
const clients: HelperClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const h of helpers.splice(0)) await h.stop();
  for (const d of dirs.splice(0)) await removeTestDir(d);
});

async function helperIn(dir: string, extraArgs: string[] = []) {
  const h = await startHelper(dir, { extraArgs });
  helpers.push(h);
  return h;
}

async function until(check: () => boolean, what: string, ms = 10_000) {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('helper lifecycle', () => {
  it('shuts down on SIGTERM with exit 0, removing its socket and pidfile', async () => {
    const dir = await makeTestDir(PREFIX);
    dirs.push(dir);
    const h = await helperIn(dir);
    expect(await h.stop()).toBe(0);
    expect(existsSync(h.socketPath)).toBe(false);
    expect(existsSync(`${h.stateDir}/helper.pid`)).toBe(false);
    expect(h.logs()).toContain('"msg":"stopped"');
  });

  it('refuses a second helper on the same socket', async () => {
    const dir = await makeTestDir(PREFIX);
    dirs.push(dir);
    const h = await helperIn(dir);
    const second = spawnSync(process.execPath, [HELPER_BUNDLE, '--socket', h.socketPath, '--state-dir', `${dir}/other-state`], {
      encoding: 'utf8',
      timeout: 10_000,
    });
    expect(second.status).toBe(1);
    expect(second.stderr).toMatch(/Another Nova helper is already listening/);
    expect(await rawPing(h.socketPath)).toBe('still first');
  });

  it('reconnects a connected client when the helper restarts, and calls work again', async () => {
    const dir = await makeTestDir(PREFIX);
    dirs.push(dir);
    const first = await helperIn(dir);
    const client = new HelperClient({ socketPath: first.socketPath, reconnect: true, minBackoffMs: 20, maxBackoffMs: 100, connectWaitMs: 500 });
    clients.push(client);
    const changes: boolean[] = [];
    client.onConnectionChange((c) => changes.push(c));
    client.start();
    expect(await client.call('helper.ping', { payload: 'one' })).toEqual({ payload: 'one' });
    const firstPid = (await client.call('helper.info', {})).pid;

    await first.kill('SIGKILL');
    helpers.splice(helpers.indexOf(first), 1);
    await until(() => !client.isConnected, 'client notices the helper is gone');
    await expect(client.call('helper.ping', {})).rejects.toMatchObject({ code: 'unavailable' });

    await helperIn(dir);
    await until(() => client.isConnected, 'client reconnects');
    const info = await client.call('helper.info', {});
    expect(info.pid).not.toBe(firstPid);
    expect(await client.call('helper.ping', { payload: 'two' })).toEqual({ payload: 'two' });
    expect(changes).toEqual([true, false, true]);
  });

  it('keeps hearing events after the helper restarts: the client subscribes again on the new connection', async () => {
    const dir = await makeTestDir(PREFIX);
    dirs.push(dir);
    // The test dir is an allowed root: importing a small disk from it makes operation events.
    const first = await helperIn(dir, ['--allowed-root', dir]);
    const client = new HelperClient({ socketPath: first.socketPath, reconnect: true, minBackoffMs: 20, maxBackoffMs: 100, connectWaitMs: 500 });
    clients.push(client);
    const heard: string[] = [];
    client.onEvent((e) => {
      if (e.name === 'operation.changed') heard.push(e.payload.resource.name);
    });
    client.start();
    const importAndRemove = async (name: string) => {
      const disk = join(dir, `${name}.raw`);
      await writeFile(disk, '');
      await truncate(disk, 1024 * 1024);
      await client.call('image.import', { path: disk, name });
      await client.call('image.remove', { name });
    };
    await importAndRemove('nv12r-life1');
    await until(() => heard.includes('nv12r-life1'), 'the events of the first import');

    await first.kill('SIGKILL');
    helpers.splice(helpers.indexOf(first), 1);
    await until(() => !client.isConnected, 'client notices the helper is gone');
    await helperIn(dir, ['--allowed-root', dir]);
    await until(() => client.isConnected, 'client reconnects');
    await importAndRemove('nv12r-life2');
    await until(() => heard.includes('nv12r-life2'), 'the events of the import on the restarted helper');
  });
});
