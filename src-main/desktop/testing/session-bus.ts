// A private D-Bus session bus for tests, from dbus-run-session, with python-dbusmock
// services on it. Everything is started detached and stopped by its process group, so
// nothing outlives a failing test.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

const START_TIMEOUT_MS = 10_000;

export interface SessionBus {
  readonly env: NodeJS.ProcessEnv;
  /**
   * Runs a dbusmock template (a name from dbusmock or a .py path) until stopped; resolves
   * once its name is owned. `logFile` receives one line per method call.
   */
  mock(template: string, busName: string, parameters?: Record<string, unknown>, logFile?: string): Promise<MockService>;
  stop(): Promise<void>;
}

export interface MockService {
  stop(): Promise<void>;
}

export async function startSessionBus(): Promise<SessionBus> {
  // `cat` keeps the session alive until its stdin closes; dbus-run-session then ends the bus.
  const session = spawn('dbus-run-session', ['--', 'sh', '-c', 'echo "$DBUS_SESSION_BUS_ADDRESS"; exec cat'], {
    detached: true,
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  const address = await firstLine(session);
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, DBUS_SESSION_BUS_ADDRESS: address, LC_ALL: 'C' };
  const mocks = new Set<ChildProcess>();
  return {
    env,
    async mock(template, busName, parameters = {}, logFile) {
      const log = logFile ? ['-l', logFile] : [];
      const child = spawn('/usr/bin/python3', ['-m', 'dbusmock', '--session', ...log, '--template', template, '--parameters', JSON.stringify(parameters)], {
        env,
        detached: true,
        stdio: 'ignore',
      });
      mocks.add(child);
      await run('gdbus', ['wait', '--session', '--timeout', String(START_TIMEOUT_MS / 1000), busName], env);
      return {
        stop: async () => {
          mocks.delete(child);
          await stopGroup(child);
        },
      };
    },
    async stop() {
      await Promise.all([...mocks].map(stopGroup));
      // Ending `cat` lets dbus-run-session stop and reap its bus itself; signals only if it does not.
      session.stdin!.end();
      await stopGroup(session, 3_000);
    },
  };
}

/** Runs a short command against the bus (gdbus call ...); rejects with its output when it fails. */
export function run(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { env, stdio: ['ignore', 'pipe', 'pipe'], timeout: START_TIMEOUT_MS });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${file} ${args.join(' ')}: exit ${code}: ${out}`))));
  });
}

function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('dbus-run-session printed no address')), START_TIMEOUT_MS);
    child.on('error', reject);
    createInterface({ input: child.stdout! }).once('line', (line) => {
      clearTimeout(timer);
      resolve(line.trim());
    });
  });
}

/** After `graceMs` for it to end by itself, TERM the group, then KILL it if it has not ended within a bound. */
async function stopGroup(child: ChildProcess, graceMs = 0): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  if (graceMs > 0) {
    let grace: NodeJS.Timeout | undefined;
    const ended = await Promise.race([exited.then(() => true), new Promise<false>((r) => (grace = setTimeout(() => r(false), graceMs)))]);
    clearTimeout(grace);
    if (ended) return;
  }
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, sig);
    } catch {
      // already gone
    }
  };
  signal('SIGTERM');
  const timer = setTimeout(() => signal('SIGKILL'), 3_000);
  await exited;
  clearTimeout(timer);
}
