// The per-capsule shim (conmon's job, in a few lines of Node): a detached process that is
// the parent of `runc run`, owns the container's stdout/stderr pipes, writes them with
// timestamps into rotated log files, watches `runc events` for OOM kills, and records the
// exit status in a file. Because it, not the helper, holds the pipes and waits for runc,
// the helper can restart (or be SIGKILLed) while logs keep flowing and exits are kept.
// Built as its own entry point (out/helper/capsule-shim.mjs); Node builtins only.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, statSync, writeSync } from 'node:fs';

export interface ShimSpec {
  runtime: string;
  runtimeRoot: string;
  bundle: string;
  id: string;
  pidFile: string;
  exitFile: string;
  logFile: string;
  maxLogBytes: number;
  maxLogFiles: number;
  /** Sequence number of the first line this run writes (continues the log). */
  firstSeq: number;
  /** The capsule's v1 memory cgroup dir, read for an OOM that happened before `runc events` attached. */
  memoryCgroupDir: string | null;
}

export interface ShimExit {
  exitCode: number | null;
  signal: string | null;
  oomKilled: boolean;
  at: string;
  /** False when the runtime never started the container (no pid file appeared). */
  started: boolean;
  /** runc's own complaint when the container could not start. */
  runtimeError: string | null;
}

/** One log line as stored: JSON so any text survives, with a sequence number for follow. */
export interface StoredLogLine {
  n: number;
  t: string;
  s: 'stdout' | 'stderr';
  m: string;
}

const MAX_LINE = 16 * 1024;

export class RotatingLog {
  private fd: number;
  private size: number;

  constructor(private readonly path: string, private readonly maxBytes: number, private readonly maxFiles: number, private seq: number) {
    this.fd = openSync(path, 'a', 0o600);
    this.size = statSync(path).size;
  }

  write(stream: 'stdout' | 'stderr', text: string): void {
    const line: StoredLogLine = { n: this.seq++, t: new Date().toISOString(), s: stream, m: text };
    const buf = Buffer.from(JSON.stringify(line) + '\n');
    if (this.size + buf.length > this.maxBytes && this.size > 0) this.rotate();
    writeSync(this.fd, buf);
    this.size += buf.length;
  }

  private rotate(): void {
    closeSync(this.fd);
    for (let i = this.maxFiles - 1; i >= 1; i--) {
      const from = i === 1 ? this.path : `${this.path}.${i - 1}`;
      if (existsSync(from)) renameSync(from, `${this.path}.${i}`);
    }
    this.fd = openSync(this.path, 'a', 0o600);
    this.size = 0;
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** Splits a byte stream into lines; long lines are cut at MAX_LINE so memory stays bounded. */
export function lineSplitter(emit: (line: string) => void): { push: (chunk: Buffer) => void; flush: () => void } {
  let pending = '';
  return {
    push(chunk) {
      pending += chunk.toString('utf8');
      let nl: number;
      while ((nl = pending.indexOf('\n')) !== -1) {
        emit(pending.slice(0, nl).replace(/\r$/, ''));
        pending = pending.slice(nl + 1);
      }
      while (pending.length > MAX_LINE) {
        emit(pending.slice(0, MAX_LINE));
        pending = pending.slice(MAX_LINE);
      }
    },
    flush() {
      if (pending.length > 0) emit(pending);
      pending = '';
    },
  };
}

function readOomKills(dir: string | null): number {
  if (!dir) return 0;
  try {
    const m = /oom_kill (\d+)/.exec(readFileSync(`${dir}/memory.oom_control`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

function writeExit(path: string, exit: ShimExit): void {
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  writeSync(fd, JSON.stringify(exit) + '\n');
  fsyncSync(fd);
  closeSync(fd);
  renameSync(tmp, path);
}

export function runShim(spec: ShimSpec): void {
  // The shim outlives the helper's session: stop requests go to runc, never to the shim.
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGPIPE'] as const) process.on(sig, () => undefined);
  const log = new RotatingLog(spec.logFile, spec.maxLogBytes, spec.maxLogFiles, spec.firstSeq);
  let oomKilled = false;
  let runtimeError = '';
  const runc = spawn(spec.runtime, ['--root', spec.runtimeRoot, 'run', '--bundle', spec.bundle, '--pid-file', spec.pidFile, spec.id], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' },
  });
  const out = lineSplitter((l) => log.write('stdout', l));
  const err = lineSplitter((l) => {
    // runc reports its own failures on stderr as logfmt/JSON lines; keep the last one.
    if (/^(time=|\{"level")|^runc (run|create) failed/.test(l) || /level=error/.test(l)) runtimeError = l;
    log.write('stderr', l);
  });
  runc.stdout.on('data', out.push);
  runc.stderr.on('data', err.push);

  let events: ReturnType<typeof spawn> | null = null;
  const watchEvents = setInterval(() => {
    if (events || !existsSync(spec.pidFile)) return;
    clearInterval(watchEvents);
    if (readOomKills(spec.memoryCgroupDir) > 0) oomKilled = true;
    events = spawn(spec.runtime, ['--root', spec.runtimeRoot, 'events', spec.id], { stdio: ['ignore', 'pipe', 'ignore'] });
    const split = lineSplitter((l) => {
      try {
        if ((JSON.parse(l) as { type?: string }).type === 'oom') oomKilled = true;
      } catch {
        // not an event line
      }
    });
    events.stdout?.on('data', split.push);
    events.on('error', () => undefined);
  }, 20);

  runc.on('error', (e) => {
    runtimeError = `cannot run ${spec.runtime}: ${e.message}`;
  });
  runc.on('close', (code, signal) => {
    // The moment the run ended, not when the record is written: the helper compares it
    // with the time a stop was asked to tell an exit from a stop.
    const at = new Date().toISOString();
    clearInterval(watchEvents);
    out.flush();
    err.flush();
    // Give `runc events` a moment to deliver an OOM notice that raced the exit; it ends
    // by itself once the container is gone, and then there is nothing left to wait for.
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      events?.kill('SIGKILL');
      log.close();
      const started = existsSync(spec.pidFile);
      writeExit(spec.exitFile, {
        started,
        exitCode: code,
        signal: signal ?? null,
        oomKilled,
        at,
        runtimeError: !started ? runtimeError || `${spec.runtime} exited with ${code ?? signal}` : null,
      });
      process.exit(0);
    };
    if (events && events.exitCode === null && events.signalCode === null) {
      events.once('exit', finish);
      setTimeout(finish, 150);
    } else finish();
  });
}

if (process.argv[1] && /capsule-shim\.(m?js|ts)$/.test(process.argv[1]) && process.argv[2]) {
  runShim(JSON.parse(readFileSync(process.argv[2], 'utf8')) as ShimSpec);
}
