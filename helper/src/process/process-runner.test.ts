// Real processes: the runner's promises are about what the child sees and how it ends.
import { spawn } from 'node:child_process';
import { mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { transformSync } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { inheritableFds } from './inherited-fds.js';
import { FIXED_PATH, ProcessRunner, toolEnv } from './process-runner.js';

const runner = new ProcessRunner();

describe('ProcessRunner', () => {
  it('gives a child a fixed environment, cwd "/" and nothing but fds 0-2', async () => {
    process.env.NOVA_SHOULD_NOT_LEAK = 'secret';
    try {
      const r = await runner.run({ argv: ['sh', '-c', 'env | sort; pwd; ls /proc/self/fd | sort -n'], timeoutMs: 5000 });
      const lines = r.stdout.trim().split('\n');
      expect(lines).toContain(`PATH=${FIXED_PATH}`);
      expect(lines).toContain('LC_ALL=C');
      expect(r.stdout).not.toContain('NOVA_SHOULD_NOT_LEAK');
      expect(lines).toContain('/');
      // sh's own fds: 0-2, plus the one ls opens on /proc/self/fd, plus whatever the test
      // runner itself inherited (the helper closes those at start-up: next test).
      const inherited = inheritableFds();
      const fds = lines.slice(lines.indexOf('/') + 1).map(Number);
      expect(fds.filter((fd) => fd > 2 && !inherited.includes(fd))).toHaveLength(1);
    } finally {
      delete process.env.NOVA_SHOULD_NOT_LEAK;
    }
  });

  it('a process that closed what it inherited passes children nothing but fds 0-2', async () => {
    // A child Node started with an extra, inheritable fd 200, as a shell or test runner might leave one (Node itself marks fds up to 15 close-on-exec at start-up).
    const dir = await mkdtemp(join(tmpdir(), 'nv8fd-'));
    const module = join(dir, 'inherited-fds.mjs');
    const source = await readFile(join(import.meta.dirname, 'inherited-fds.ts'), 'utf8');
    await writeFile(module, transformSync(source, { loader: 'ts', format: 'esm' }).code);
    const script = `
      const { closeInheritedFds } = await import(${JSON.stringify(module)});
      const closed = closeInheritedFds();
      const { execFileSync } = await import('node:child_process');
      const fds = execFileSync('ls', ['/proc/self/fd'], { encoding: 'utf8' }).trim().split('\\n').map(Number);
      console.log(JSON.stringify({ closed, fds }));`;
    const child = spawn('bash', ['-c', 'exec 200</dev/null; exec "$0" --input-type=module -e "$1"', process.execPath, script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    await new Promise((r) => child.once('exit', r));
    await rm(dir, { recursive: true, force: true });
    const { closed, fds } = JSON.parse(out) as { closed: number[]; fds: number[] };
    expect(closed).toContain(200);
    expect(fds.sort()).toEqual([0, 1, 2, 3]); // 3: ls's own handle on /proc/self/fd
  });

  it('lets only allow-listed variables through', () => {
    expect(toolEnv({ HOME: '/root' })).toEqual({ PATH: FIXED_PATH, LC_ALL: 'C', LANG: 'C', HOME: '/root' });
    expect(() => toolEnv({ LD_PRELOAD: '/x.so' } as never)).toThrow(/not allowed/);
  });

  it('feeds stdin and splits output into lines, "\\r" included', async () => {
    const lines: string[] = [];
    const r = await runner.run({ argv: ['sh', '-c', 'cat; printf "a\\rb\\n" >&2'], input: 'one\ntwo\n', timeoutMs: 5000, onLine: (l, s) => lines.push(`${s}:${l}`) });
    expect(r.stdout).toBe('one\ntwo\n');
    expect(lines).toEqual(['stdout:one', 'stdout:two', 'stderr:a', 'stderr:b']);
  });

  it('gives a file the helper opened as stdin, read even after its path is gone, and still nothing beyond fds 0-2', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nv-stdin-'));
    try {
      await writeFile(join(dir, 'disk.raw'), 'opened by the helper\n');
      const fh = await open(join(dir, 'disk.raw'), 'r');
      try {
        await rm(join(dir, 'disk.raw'));
        const r = await runner.run({ argv: ['sh', '-c', 'cat /dev/stdin; ls /proc/self/fd | sort -n'], stdinFd: fh.fd, timeoutMs: 5000 });
        const [first, ...fds] = r.stdout.trim().split('\n');
        expect(first).toBe('opened by the helper');
        // 0-2, plus ls's own handle on /proc/self/fd, plus what the test runner leaves inheritable.
        expect(fds.map(Number).filter((fd) => fd > 2 && !inheritableFds().includes(fd))).toHaveLength(1);
      } finally {
        await fh.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('maps failures to errors that name the tool and what it said', async () => {
    await expect(runner.run({ argv: ['sh', '-c', 'echo progress; echo "disk is full" >&2; exit 3'], timeoutMs: 5000, what: 'resizing disk0' })).rejects.toMatchObject({
      code: 'internal',
      message: 'resizing disk0 failed (exit 3): disk is full',
      details: { exitCode: 3 },
    });
    await expect(runner.run({ argv: ['nova-no-such-tool'], timeoutMs: 5000 })).rejects.toMatchObject({ code: 'unavailable', message: expect.stringMatching(/^nova-no-such-tool is not installed/) });
    const r = await runner.run({ argv: ['sh', '-c', 'exit 4'], timeoutMs: 5000, allowFailure: true });
    expect(r.exitCode).toBe(4);
  });

  it('kills a program at its deadline, even when a grandchild holds its pipes', async () => {
    const t0 = Date.now();
    await expect(runner.run({ argv: ['sh', '-c', 'sleep 30 & sleep 30'], timeoutMs: 300 })).rejects.toMatchObject({ code: 'timeout', message: 'sh did not finish within 300 ms' });
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('cancels through an AbortSignal', async () => {
    const controller = new AbortController();
    const running = runner.run({ argv: ['sleep', '30'], timeoutMs: 60_000, signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await expect(running).rejects.toMatchObject({ code: 'cancelled', message: 'sleep was stopped: the operation was cancelled' });
  });

  it('stops a probe once its output is enough, without calling that a failure', async () => {
    const r = await runner.run({ argv: ['sh', '-c', 'echo ready; sleep 30'], timeoutMs: 10_000, stopWhen: (out) => out.includes('ready') });
    expect(r).toMatchObject({ stopped: true, stdout: 'ready\n' });
  });

  it('puts a prefix before every argv (a runner inside a network namespace)', async () => {
    const r = await new ProcessRunner(['env', 'NOVA_PREFIXED=1']).run({ argv: ['sh', '-c', 'echo $NOVA_PREFIXED'], timeoutMs: 5000 });
    expect(r.stdout).toBe('1\n');
  });

  it('starts a long-lived program with the same environment rules', async () => {
    const child = await runner.spawnDetached({ argv: ['sh', '-c', 'env; ls /proc/self/fd'], stdio: ['ignore', 'pipe', 'ignore'], detached: false });
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    await new Promise((r) => child.once('exit', r));
    expect(out).toContain(`PATH=${FIXED_PATH}`);
    await expect(runner.spawnDetached({ argv: ['nova-no-such-daemon'] })).rejects.toMatchObject({ code: 'unavailable' });
  });

  it('passes a long-lived program exactly the descriptors listed, as its fds 3, 4, ... in order, and nothing else', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nv12f-passfds-'));
    const [a, b] = [join(dir, 'a.img'), join(dir, 'b.img')];
    await writeFile(a, 'nv12f-read-only\n');
    await writeFile(b, '');
    // Opened close-on-exec, as everything Node opens: only the listing lets them through.
    const [ra, wb, unlisted] = [await open(a, 'r'), await open(b, 'r+'), await open(a, 'r')];
    try {
      // Reads fd 3, writes fd 4, then lists the shell's own fds from a child (ls), so the listing opens nothing in it.
      const script = 'cat <&3; echo nv12f-written >&4; ls -l /proc/$$/fd';
      const child = await runner.spawnDetached({ argv: ['sh', '-c', script], stdio: ['ignore', 'pipe', 'ignore'], detached: false, passFds: [ra.fd, wb.fd] });
      let out = '';
      child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
      await new Promise((r) => child.once('exit', r));
      const inherited = inheritableFds();
      const fds = [...out.matchAll(/ (\d+) -> (.+)$/gm)].map((m) => [Number(m[1]), m[2]] as const).filter(([fd]) => fd > 2 && !inherited.includes(fd));
      expect(out.split('\n')[0]).toBe('nv12f-read-only');
      expect(fds).toEqual([[3, a], [4, b]]);
      expect(await readFile(b, 'utf8')).toBe('nv12f-written\n');
      expect(unlisted.fd).not.toBe(3);
    } finally {
      await Promise.all([ra.close(), wb.close(), unlisted.close()]);
      await rm(dir, { recursive: true, force: true });
    }
  });
});
