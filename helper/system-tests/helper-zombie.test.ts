// A helper killed with SIGKILL whose parent does not reap it stays a zombie: /proc still
// lists it with the same pid and start time. It is dead all the same, so the next helper on
// the same state dir must start (its pidfile check reads the process state) and serve the CLI.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HelperClient } from '../../src-main/core/helper-client.js';
import { CLI_BUNDLE, HELPER_BUNDLE, makeTestDir, removeTestDir, startHelper, waitForSocket, type RunningHelper } from './helper-harness.js';
import { waitFor } from './fixtures/wait-for.js';

let dir = '';
let parent: ChildProcess | null = null;
let helper: RunningHelper | null = null;

afterAll(async () => {
  await helper?.stop();
  // Killing the non-reaping parent hands the zombie to init, which reaps it.
  parent?.kill('SIGKILL');
  if (dir) await removeTestDir(dir);
});

async function stateOf(pid: number): Promise<string | null> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  return stat ? (stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] ?? null) : null;
}

describe('a zombie helper', () => {
  it('does not block the next helper on its state dir', async () => {
    dir = await makeTestDir('nv4s-zombie');
    const socketPath = join(dir, 'helper.sock');
    const stateDir = join(dir, 'state');
    // sh starts the helper in the background, then becomes `sleep`, which never waits for it.
    const script = `"$0" "$1" --socket "$2" --state-dir "$3" --log-level warn >/dev/null 2>&1 & echo $!; exec sleep 300`;
    parent = spawn('sh', ['-c', script, process.execPath, HELPER_BUNDLE, socketPath, stateDir], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    parent.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const pid = await waitFor(() => Number(out.trim()) || null, 10_000, 'the first helper pid');
    await waitForSocket(socketPath);
    expect(JSON.parse(await readFile(join(stateDir, 'helper.pid'), 'utf8'))).toMatchObject({ pid });

    process.kill(pid, 'SIGKILL');
    await waitFor(async () => (await stateOf(pid)) === 'Z', 10_000, `helper ${pid} to be a zombie`);

    helper = await startHelper(dir);
    // Served, not only listening: a request is answered (bounded) before the CLI is asked.
    await waitFor(async () => {
      const c = new HelperClient({ socketPath, reconnect: false });
      try {
        c.start();
        await c.waitForConnection();
        await c.call('helper.ping', { payload: 'zombie' });
        return true;
      } catch {
        return null;
      } finally {
        c.close();
      }
    }, 10_000, 'the new helper to answer');
    // Still a zombie while the new helper runs: the check did not need it reaped.
    expect(await stateOf(pid)).toBe('Z');
    const cli = spawnSync(process.execPath, [CLI_BUNDLE, '--socket', socketPath, '--no-autostart', '--json', 'vm', 'ls'], { encoding: 'utf8', timeout: 30_000 });
    expect(cli.stderr).toBe('');
    expect(cli.status).toBe(0);
    expect(JSON.parse(cli.stdout)).toEqual({ vms: [], broken: [] });
    expect(JSON.parse(await readFile(join(stateDir, 'helper.pid'), 'utf8'))).toMatchObject({ pid: helper.process.pid });
  }, 60_000);
});
