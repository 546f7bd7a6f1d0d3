// The native capsule shim against a fake runtime (a shell script taking runc's `run` argv):
// log lines as the reader expects them (escapes, cut lines, rotation), the exit record,
// start failures, the signals it ignores, OOM kills counted in a v2 memory.events file, and
// shims started through its --launcher mode (shim-launcher.ts).
// Runs as any user: no runc, no cgroups, no mounts (the system tests cover those).
import { execFile, execFileSync, spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLogs } from '../../src/capsule/capsule-logs.js';
import { launchRequest, ShimLauncher } from '../../src/capsule/shim-launcher.js';
import { MAX_LINE_BYTES, shimArgv, type ShimExit, type ShimSpec } from '../../src/capsule/shim-protocol.js';

let dir = '';
let shim = '';
let runtime = '';
let seq = 0;

// The fake runtime sources BUNDLE/run.sh with $pidfile set, as runc would get `--pid-file`.
const FAKE_RUNTIME = `#!/bin/sh
# argv: --root ROOT run --bundle BUNDLE --pid-file PIDFILE ID
pidfile=$7
started() { echo $$ > "$pidfile.tmp" && mv "$pidfile.tmp" "$pidfile"; }
. "$5/run.sh"
`;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nv5c-shim-'));
  shim = join(dir, 'nova-capsule-shim');
  execFileSync(process.execPath, [join(import.meta.dirname, 'build.mjs'), shim], { stdio: 'inherit' });
  runtime = join(dir, 'fake-runc');
  await writeFile(runtime, FAKE_RUNTIME);
  await chmod(runtime, 0o755);
}, 60_000);
afterAll(async () => rm(dir, { recursive: true, force: true }));

interface Run {
  spec: ShimSpec;
  exit: ShimExit;
  raw: string[];
}

async function specFor(script: string, o: Partial<ShimSpec> = {}): Promise<ShimSpec> {
  const d = join(dir, `run${++seq}`);
  for (const s of ['bundle', 'run', 'logs']) await mkdir(join(d, s), { recursive: true });
  await writeFile(join(d, 'bundle', 'run.sh'), script);
  return {
    runtime,
    runtimeRoot: join(d, 'root'),
    bundle: join(d, 'bundle'),
    id: `nv5c-${seq}`,
    pidFile: join(d, 'run', 'container.pid'),
    exitFile: join(d, 'run', 'exit.json'),
    logFile: join(d, 'logs', 'capsule.log'),
    maxLogBytes: 1024 * 1024,
    maxLogFiles: 3,
    firstSeq: 0,
    memoryCgroupDir: null,
    unifiedCgroupDir: null,
    rootfsOverlay: null,
    ...o,
  };
}

/** Runs the shim to its end (bounded) and returns its exit record and raw log lines. */
function runShim(spec: ShimSpec, whileRunning?: (pid: number) => Promise<void>): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(shim, shimArgv(spec), { stdio: 'ignore', env: { PATH: '/usr/bin:/bin', NV5C_SECRET: 'leaked' } });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('the shim did not finish within 10 s'));
    }, 10_000);
    child.once('error', reject);
    child.once('exit', () => {
      clearTimeout(timer);
      void (async () => {
        const exit = JSON.parse(await readFile(spec.exitFile, 'utf8')) as ShimExit;
        const raw = (await readFile(spec.logFile, 'utf8').catch(() => '')).split('\n').filter(Boolean);
        resolve({ spec, exit, raw });
      })().catch(reject);
    });
    if (whileRunning && child.pid !== undefined) whileRunning(child.pid).catch(reject);
  });
}

async function texts(spec: ShimSpec, stream?: 'stdout' | 'stderr'): Promise<string[]> {
  const page = await readLogs(spec.logFile, spec.maxLogFiles, {});
  return page.lines.filter((l) => !stream || l.stream === stream).map((l) => l.text);
}

describe('native capsule shim', () => {
  it('records a run: exit code, time and every line as the reader expects it', async () => {
    const t0 = Date.now();
    const spec = await specFor(
      [
        'started',
        `printf 'plain\\nquote " back \\\\ tab\\tend\\r\\nctl \\001\\033[0m\\nbad \\377\\376 utf8\\nh\\303\\251llo \\342\\234\\223\\n'`,
        "printf 'to stderr\\n' >&2",
        "printf 'no newline at the end'",
        'exit 3',
      ].join('\n'),
      { firstSeq: 5 },
    );
    const { exit, raw } = await runShim(spec);
    expect(exit).toMatchObject({ started: true, exitCode: 3, signal: null, oomKilled: false, runtimeError: null });
    expect(Date.parse(exit.at)).toBeGreaterThanOrEqual(t0 - 1000);
    expect(exit.at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(await texts(spec, 'stdout')).toEqual(['plain', 'quote " back \\ tab\tend', 'ctl \u0001\u001b[0m', 'bad \ufffd\ufffd utf8', 'héllo ✓', 'no newline at the end']);
    expect(await texts(spec, 'stderr')).toEqual(['to stderr']);
    // Every line is JSON on its own, numbered from firstSeq on.
    expect(raw.map((l) => (JSON.parse(l) as { n: number }).n).sort((a, b) => a - b)).toEqual([5, 6, 7, 8, 9, 10, 11]);
    expect(raw[0]).toMatch(/^\{"n":\d+,"t":"[^"]+","s":"std(out|err)","m":".*"\}$/);
  });

  it('cuts long lines without splitting a character', async () => {
    const spec = await specFor(`started\nawk 'BEGIN { s = ""; for (i = 0; i < 10000; i++) s = s "\\303\\251"; print s }'\n`);
    await runShim(spec);
    const got = await texts(spec);
    expect(got.length).toBe(2);
    expect(Buffer.byteLength(got[0] ?? '')).toBeLessThanOrEqual(MAX_LINE_BYTES);
    expect(got.join('')).toBe('é'.repeat(10000));
  });

  it('rotates its files; the reader keeps the order across them', async () => {
    const spec = await specFor(`started\ni=0; while [ $i -lt 12 ]; do echo "line $i"; i=$((i+1)); done\n`, { maxLogBytes: 200, maxLogFiles: 3 });
    await runShim(spec);
    const all = await readLogs(spec.logFile, 3, {});
    const got = all.lines.map((l) => l.text);
    expect(got.length).toBeLessThan(12);
    expect(got[got.length - 1]).toBe('line 11');
    expect(all.lines.map((l) => l.seq)).toEqual(Array.from({ length: got.length }, (_, i) => 12 - got.length + i));
    expect((await readLogs(spec.logFile, 3, { afterSeq: 9 })).lines.map((l) => l.text)).toEqual(['line 10', 'line 11']);
    await expect(readFile(`${spec.logFile}.2`, 'utf8')).resolves.toContain('"n":');
    await expect(readFile(`${spec.logFile}.3`, 'utf8')).rejects.toThrow();
  });

  it('records a runtime killed by a signal', async () => {
    const { exit } = await runShim(await specFor('started\nkill -KILL $$\n'));
    expect(exit).toMatchObject({ started: true, exitCode: null, signal: 'SIGKILL', oomKilled: false });
  });

  it("keeps runc's own complaint when the container never started", async () => {
    const complaint = 'time="2026-01-01T00:00:00Z" level=error msg="runc run failed: unable to start container process"';
    const { exit } = await runShim(await specFor(`echo 'some noise' >&2\necho '${complaint}' >&2\nexit 1\n`));
    expect(exit).toMatchObject({ started: false, exitCode: 1, oomKilled: false, runtimeError: complaint });
    const quiet = await runShim(await specFor('exit 4\n'));
    expect(quiet.exit.runtimeError).toBe(`${runtime} exited with 4`);
  });

  it('says so when the runtime cannot be run at all', async () => {
    const { exit } = await runShim(await specFor('exit 0\n', { runtime: join(dir, 'no-such-runc') }));
    expect(exit).toMatchObject({ started: false, runtimeError: `cannot run ${join(dir, 'no-such-runc')}: No such file or directory` });
  });

  it('outlives the signals a session sends; the runtime gets a clean environment and default signals', async () => {
    const spec = await specFor('started\necho "ignored $(grep SigIgn /proc/self/status)"\necho "secret=${NV5C_SECRET:-none}"\nsleep 0.5\nexit 0\n');
    const { exit } = await runShim(spec, async (pid) => {
      const deadline = Date.now() + 5000;
      while (Date.now() < deadline && !(await readFile(spec.pidFile, 'utf8').catch(() => ''))) await new Promise((r) => setTimeout(r, 20));
      for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.kill(pid, sig);
    });
    expect(exit).toMatchObject({ started: true, exitCode: 0 });
    const out = await texts(spec);
    expect(out).toContain('secret=none');
    expect(out.find((l) => l.startsWith('ignored'))).toMatch(/SigIgn:\s+0+$/);
  });

  it('counts OOM kills from a cgroup v2 memory.events file, read as they happen', async () => {
    // The file goes away before the runtime ends, as runc removes the cgroup: only the
    // read on the change can have seen the kill.
    const cg = join(dir, 'cgroup-v2');
    await mkdir(cg, { recursive: true });
    await writeFile(join(cg, 'memory.events'), 'low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n');
    const script = `started\nsleep 0.2\nprintf 'low 0\\nhigh 0\\nmax 3\\noom 1\\noom_kill 1\\n' > ${cg}/memory.events\nsleep 0.2\nrm ${cg}/memory.events\nexit 137\n`;
    const oom = await runShim(await specFor(script, { memoryCgroupDir: join(dir, 'no-v1-memory-cgroup'), unifiedCgroupDir: cg }));
    expect(oom.exit).toMatchObject({ started: true, exitCode: 137, oomKilled: true });
    await writeFile(join(cg, 'memory.events'), 'oom 0\noom_kill 0\n');
    const fine = await runShim(await specFor('started\nexit 0\n', { unifiedCgroupDir: cg }));
    expect(fine.exit.oomKilled).toBe(false);
  });

  it('starts shims through its --launcher: each in a session of its own, reaping its runtime', async () => {
    const launcher = new ShimLauncher(shim);
    try {
      const script = 'started\necho "sid $(cut -d" " -f6 /proc/$$/stat)"\nexit 7\n';
      const specs = await Promise.all([specFor(script), specFor(script)]);
      const pids = await Promise.all(specs.map((s) => launcher.launch([shim, ...shimArgv(s)])));
      expect(new Set(pids).size).toBe(2);
      for (const [i, spec] of specs.entries()) {
        const deadline = Date.now() + 10_000;
        let exit: ShimExit | null = null;
        while (!exit && Date.now() < deadline) {
          exit = await readFile(spec.exitFile, 'utf8').then((t) => JSON.parse(t) as ShimExit, () => null);
          if (!exit) await new Promise((r) => setTimeout(r, 20));
        }
        // Its exit code: the shim saw runc end (the launcher's ignored SIGCHLD did not follow it).
        expect(exit).toMatchObject({ started: true, exitCode: 7 });
        expect(await texts(spec)).toEqual([`sid ${pids[i]}`]);
      }
    } finally {
      launcher.close();
    }
  });

  it('has its launcher requests refuse what argv cannot carry', () => {
    expect(launchRequest(['a', 'bc']).toString()).toBe('2\0a\0bc\0');
    expect(() => launchRequest(['a\0b'])).toThrow(/NUL/);
  });

  it('refuses an incomplete argv with its usage', async () => {
    const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      execFile(shim, ['--runtime', runtime], (err, _out, stderr) => resolve({ code: err ? (err as { code?: number }).code ?? null : 0, stderr }));
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^usage: nova-capsule-shim/);
  });
});
