// `nova web --open`, what the installed menu entry runs: the built CLI serves the UI and
// hands the desktop's opener (a stand-in xdg-open on the PATH) a private redirect page,
// never the token; launched again while the port is taken, it serves on a free port of
// its own instead of failing where no terminal shows the error.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from './fixtures/wait-for.js';
import { CLI_BUNDLE, makeTestDir, removeTestDir } from './helper-harness.js';

let dir = '';
let busy: Server;
let busyPort = 0;
const children: ChildProcess[] = [];

function novaWeb(args: string[]) {
  const child = spawn(process.execPath, [CLI_BUNDLE, '--no-autostart', '--socket', join(dir, 'no-helper.sock'), 'web', ...args], {
    env: { PATH: `${join(dir, 'bin')}:/usr/bin:/bin`, XDG_RUNTIME_DIR: join(dir, 'run'), HOME: dir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, exited, out: () => stdout, err: () => stderr };
}

beforeAll(async () => {
  dir = await makeTestDir('nv3d-web');
  mkdirSync(join(dir, 'bin'));
  mkdirSync(join(dir, 'run'), { mode: 0o700 });
  writeFileSync(join(dir, 'bin/xdg-open'), `#!/bin/sh\nprintf '%s\\n' "$@" > ${join(dir, 'opened')}\n`);
  chmodSync(join(dir, 'bin/xdg-open'), 0o755);
  busy = createServer();
  await new Promise<void>((r) => busy.listen(0, '127.0.0.1', () => r()));
  busyPort = (busy.address() as { port: number }).port;
});

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await new Promise<void>((r) => busy.close(() => r()));
  await removeTestDir(dir);
});

describe('nova web --open', () => {
  it('serves on a free port when the usual one is taken, and opens it through a private redirect page', async () => {
    const web = novaWeb(['--open', '--port', String(busyPort)]);
    const url = await waitFor(() => /^Nova web UI: (\S+)$/m.exec(web.out())?.[1], 20_000, `the web UI's URL (stderr: ${web.err()})`, 50);
    expect(new URL(url).port).not.toBe(String(busyPort));
    const opened = await waitFor(() => existsSync(join(dir, 'opened')) && readFileSync(join(dir, 'opened'), 'utf8'), 10_000, 'xdg-open to be run', 50);
    const token = new URL(url).searchParams.get('token')!;
    expect(opened).not.toContain(token);
    expect(opened).toMatch(/^file:\/\/.*\/open\.html\n$/);
    const page = fileURLToPath(opened.trim());
    expect(dirname(dirname(page))).toBe(join(dir, 'run'));
    expect(readFileSync(page, 'utf8')).toContain(`url=${url}"`);
    const res = await fetch(new URL('/', url));
    expect(res.status).toBe(200);
    expect(web.err()).toBe('');

    web.child.kill('SIGTERM');
    expect(await web.exited).toBe(0);
    expect(existsSync(dirname(page))).toBe(false);
  });

  it('without --open, a taken port is still an error that says so', async () => {
    const web = novaWeb(['--port', String(busyPort)]);
    expect(await web.exited).toBe(1);
    expect(web.err()).toMatch(/EADDRINUSE/);
  });
});
