// The pty host bundle for real: a shell under node-pty in a child process, driven through
// the same PtySpawn interface CapsuleManager uses. The point of the pty host is that its
// death ends one session and nothing else, so that is tested with a real SIGSEGV.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { PtyProcess } from '../src/capsule/capsule-terminals.js';
import { ptyHostSpawn } from '../src/capsule/pty-host-spawn.js';
import { REPO } from './helper-harness.js';

const PTY_HOST = join(REPO, 'out/helper/pty-host.mjs');
const warnings: unknown[] = [];
const logger = {
  warn: (o: unknown) => void warnings.push(o),
  info: () => undefined,
  error: () => undefined,
  debug: () => undefined,
} as unknown as Parameters<typeof ptyHostSpawn>[0]['logger'];
const spawnPty = ptyHostSpawn({ modulePath: PTY_HOST, logger });
const opened: PtyProcess[] = [];

function open(script: string, cols = 80, rows = 24): { pty: PtyProcess; output: () => string; exit: Promise<number> } {
  const pty = spawnPty('/bin/sh', ['-c', script], { name: 'xterm-256color', cols, rows, cwd: '/', env: { PATH: '/usr/bin:/bin', TERM: 'xterm-256color' } });
  opened.push(pty);
  let text = '';
  pty.onData((d) => (text += d));
  const exit = new Promise<number>((resolve) => pty.onExit((e) => resolve(e.exitCode)));
  return { pty, output: () => text, exit };
}

async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function ptyHostPids(): number[] {
  const r = spawnSync('pgrep', ['-P', String(process.pid), '-f', 'pty-host.mjs'], { encoding: 'utf8' });
  return r.stdout.split('\n').filter(Boolean).map(Number);
}

afterEach(async () => {
  for (const p of opened.splice(0)) p.kill('SIGKILL');
  await until(() => ptyHostPids().length === 0, 'every pty host to exit', 5_000);
  warnings.length = 0;
});

describe('pty host', () => {
  it('runs a command under a real terminal: typed input is echoed and read, the size is applied', async () => {
    const t = open('stty size; read line; echo "got:$line"; exit 7', 101, 33);
    await until(() => t.output().includes('33 101'), 'stty to print the size');
    t.pty.write('hello pty\r');
    await until(() => t.output().includes('got:hello pty'), 'the echoed line');
    // The terminal itself echoed the keystrokes too: a real tty, not a pipe.
    expect(t.output().split('hello pty').length).toBeGreaterThan(2);
    await expect(t.exit).resolves.toBe(7);
  });

  it('passes a resize through to the running program', async () => {
    const t = open('trap "stty size" WINCH; echo ready; while :; do sleep 0.05; done');
    await until(() => t.output().includes('ready'), 'the program to start');
    t.pty.resize(120, 40);
    await until(() => t.output().includes('40 120'), 'the new size');
  });

  it('ends the session when killed, and the pty host exits with it', async () => {
    const t = open('echo up; sleep 30');
    await until(() => t.output().includes('up'), 'the program to start');
    expect(ptyHostPids()).toHaveLength(1);
    t.pty.kill();
    await expect(t.exit).resolves.toBeTypeOf('number');
    await until(() => ptyHostPids().length === 0, 'the pty host to exit', 5_000);
  });

  it('survives a pty host crash: that session ends with -1, the caller and other sessions go on', async () => {
    const a = open('echo a-up; sleep 30');
    const b = open('echo b-up; read x; echo "b:$x"');
    await until(() => a.output().includes('a-up') && b.output().includes('b-up'), 'both programs to start');
    const [first] = ptyHostPids();
    // Which host is a's does not matter: crash one, the other must still answer.
    process.kill(first!, 'SIGSEGV');
    const ended = await Promise.race([a.exit.then((c) => ['a', c] as const), b.exit.then((c) => ['b', c] as const)]);
    expect(ended[1]).toBe(-1);
    expect(warnings.some((w) => JSON.stringify(w).includes('SIGSEGV'))).toBe(true);
    const survivor = ended[0] === 'a' ? b : a;
    if (survivor === b) {
      b.pty.write('still here\r');
      await until(() => b.output().includes('b:still here'), 'the other session to answer');
    } else {
      expect(a.output()).toContain('a-up');
      a.pty.kill();
      await a.exit;
    }
  });
});
