// A real polkit for tests: a system D-Bus and polkitd started by hand (these machines
// have no systemd), Nova's policy installed, and rules files added per test. Every
// file and process it adds is removed again by `stop`.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { REPO } from './helper-harness.js';

const POLICY_TARGET = '/usr/share/polkit-1/actions/org.nova.policy';
const RULES_DIR = '/etc/polkit-1/rules.d';
const SYSTEM_BUS = '/run/dbus/system_bus_socket';

export interface PolkitHarness {
  allow(name: string, action: string, user: string): Promise<void>;
  removeRules(): Promise<void>;
  stop(): Promise<void>;
}

export function polkitAvailable(): boolean {
  return existsSync('/usr/lib/polkit-1/polkitd') && existsSync('/usr/bin/dbus-daemon') && existsSync('/usr/bin/pkcheck');
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

// A machine can boot with the bus socket left on disk and no daemon behind it; only a
// connection that is accepted says the system bus is there.
function busAnswers(): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(SYSTEM_BUS);
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.setTimeout(2_000, () => done(false));
  });
}

async function waitFor(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

export async function startPolkit(prefix: string): Promise<PolkitHarness> {
  const cleanups: Array<() => Promise<void> | void> = [];
  const ruleFiles: string[] = [];
  try {
    if (!existsSync(POLICY_TARGET)) {
      await copyFile(join(REPO, 'resources/org.nova.policy'), POLICY_TARGET);
      cleanups.push(() => rm(POLICY_TARGET, { force: true }));
    }
    if (!(await busAnswers())) {
      await rm(SYSTEM_BUS, { force: true });
      await rm('/run/dbus/pid', { force: true });
      await mkdir('/run/dbus', { recursive: true });
      const r = spawnSync('dbus-daemon', ['--system', '--fork', '--print-pid'], { encoding: 'utf8' });
      const pid = Number(r.stdout.trim());
      if (r.status !== 0 || !pid) throw new Error(`dbus-daemon did not start: ${r.stderr}`);
      cleanups.push(async () => {
        if (pidAlive(pid)) process.kill(pid, 'SIGTERM');
        await waitFor(() => !pidAlive(pid), 'dbus-daemon to exit').catch(() => process.kill(pid, 'SIGKILL'));
        await rm(SYSTEM_BUS, { force: true });
        await rm('/run/dbus/pid', { force: true });
      });
      await waitFor(() => existsSync(SYSTEM_BUS), 'the system bus');
    }
    let polkitdOutput = '';
    const running = spawnSync('pgrep', ['-x', 'polkitd']).status === 0;
    if (!running) {
      const polkitd = spawn('/usr/lib/polkit-1/polkitd', ['--no-debug'], { stdio: ['ignore', 'ignore', 'pipe'], detached: false });
      polkitd.stderr.setEncoding('utf8').on('data', (chunk: string) => (polkitdOutput = (polkitdOutput + chunk).slice(-2_000)));
      cleanups.push(async () => {
        if (polkitd.exitCode === null) polkitd.kill('SIGTERM');
        await new Promise((r) => setTimeout(r, 50));
        if (polkitd.exitCode === null) polkitd.kill('SIGKILL');
      });
    }
    // polkitd is ready once pkcheck gets an answer rather than a bus error.
    let lastError = '';
    await waitFor(() => {
      const r = spawnSync('pkcheck', ['--action-id', 'org.nova.host.inspect', '--process', String(process.pid)], { encoding: 'utf8' });
      lastError = r.stderr.trim();
      return r.status === 0 || r.status === 1 || r.status === 2;
    }, 'polkitd', 20_000).catch((err: Error) => {
      throw new Error(`${err.message}; pkcheck said: ${lastError}; polkitd said: ${polkitdOutput.trim()}`);
    });
  } catch (err) {
    for (const c of cleanups.reverse()) await c();
    throw err;
  }

  const removeRules = async () => {
    for (const f of ruleFiles.splice(0)) await rm(f, { force: true });
    // polkitd reloads rules on change; give it a moment.
    await new Promise((r) => setTimeout(r, 300));
  };

  return {
    async allow(name, action, user) {
      const file = join(RULES_DIR, `50-${prefix}-${name}.rules`);
      await mkdir(RULES_DIR, { recursive: true });
      await writeFile(
        file,
        `polkit.addRule(function(action, subject) {\n` +
          `  if (action.id == ${JSON.stringify(action)} && subject.user == ${JSON.stringify(user)}) return polkit.Result.YES;\n` +
          `});\n`,
      );
      ruleFiles.push(file);
      await new Promise((r) => setTimeout(r, 500));
    },
    removeRules,
    async stop() {
      await removeRules();
      for (const c of cleanups.reverse()) await c();
    },
  };
}
