// When nothing answers on the socket, the CLI starts the helper itself (as root here:
// directly; pkexec is the path for other users, golden-tested in helper-launcher.test.ts).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI_BUNDLE, makeTestDir, removeTestDir, waitForSocket } from './helper-harness.js';

const dirs: string[] = [];
const pids: number[] = [];

afterEach(async () => {
  for (const pid of pids.splice(0)) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // already gone
    }
    for (let i = 0; i < 100; i++) {
      try {
        process.kill(pid, 0);
        await new Promise((r) => setTimeout(r, 50));
      } catch {
        break;
      }
    }
  }
  for (const d of dirs.splice(0)) await removeTestDir(d);
});

describe('helper autostart', () => {
  it('starts a detached helper when none answers, and reuses it on the next call', async () => {
    const dir = await makeTestDir('nv2i-auto');
    dirs.push(dir);
    const socket = join(dir, 'helper.sock');
    const stateDir = join(dir, 'state');
    const run = () =>
      spawnSync(process.execPath, [CLI_BUNDLE, '--socket', socket, '--state-dir', stateDir, '--json', 'host', 'check'], {
        encoding: 'utf8',
        timeout: 60_000,
      });
    const first = run();
    const pidfile = join(stateDir, 'helper.pid');
    if (existsSync(pidfile)) pids.push((JSON.parse(readFileSync(pidfile, 'utf8')) as { pid: number }).pid);
    expect(first.stderr).not.toMatch(/unavailable/);
    expect(JSON.parse(first.stdout).items.length).toBeGreaterThan(10);
    // The helper outlives the CLI that started it.
    await waitForSocket(socket, 2000);
    expect(pids).toHaveLength(1);
    const second = run();
    expect(JSON.parse(second.stdout).cached).toBe(true);
    expect((JSON.parse(readFileSync(pidfile, 'utf8')) as { pid: number }).pid).toBe(pids[0]);
    expect(readFileSync(join(stateDir, 'helper.log'), 'utf8')).toContain('nova-helper ready');
  });

  it('fails clearly instead of starting one when --no-autostart is given', async () => {
    const dir = await makeTestDir('nv2i-auto');
    dirs.push(dir);
    const r = spawnSync(process.execPath, [CLI_BUNDLE, '--socket', join(dir, 'helper.sock'), '--no-autostart', 'host', 'check'], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/not reachable.*\[unavailable\]/);
    expect(existsSync(join(dir, 'helper.sock'))).toBe(false);
  });
});
