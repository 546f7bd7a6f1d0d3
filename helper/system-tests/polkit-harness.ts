// A real polkit for tests: a system D-Bus and polkitd started by hand (these machines
// have no systemd), this tree's Nova policy installed, and rules files added per test.
// Every file and process it adds is removed again by `stop`. polkitd reloads rules
// and policies when their folders change: the harness waits for polkit's answer to
// change rather than for a fixed time.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { ALL_POLKIT_ACTIONS, NOVA_GROUP } from '../../src-shared/actions.js';
import { waitFor as waitForValue } from './fixtures/wait-for.js';
import { REPO } from './helper-harness.js';

const ACTIONS_DIR = '/usr/share/polkit-1/actions';
const POLICY_TARGET = join(ACTIONS_DIR, 'org.nova.policy');
const POLICY_SOURCE = join(REPO, 'resources/org.nova.policy');
const RULES_DIR = '/etc/polkit-1/rules.d';
const SYSTEM_BUS = '/run/dbus/system_bus_socket';

/** What pkcheck answers for a process of `user` asking for `action`: 0 allowed, 1 not, 2 needs authentication. */
export interface PolkitProbe {
  user: string;
  action: string;
  exitCode: number;
}

export interface PolkitHarness {
  allow(name: string, action: string, user: string): Promise<void>;
  /**
   * Installs a rules file `NN-PREFIX-name.rules` (`order` is NN: polkit runs rules files
   * in name order) and waits until polkit gives `probe`'s answer.
   */
  addRules(order: number, name: string, source: string, probe: PolkitProbe): Promise<void>;
  /** pkcheck's exit code for a fresh process of `user` asking for `action`, without interaction. */
  check(user: string, action: string): Promise<number | null>;
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
  let polkitdOutput = '';
  const ruleFiles: Array<{ file: string; undo: PolkitProbe | null }> = [];
  try {
    // An installed policy (a real install, or another tree's test) may predate this
    // tree's actions: ours goes beside it under its own name, as polkit reads every
    // *.policy file, and the actions both declare have the same defaults.
    if (!existsSync(POLICY_TARGET)) {
      await copyFile(POLICY_SOURCE, POLICY_TARGET);
      cleanups.push(() => rm(POLICY_TARGET, { force: true }));
    } else if (readFileSync(POLICY_TARGET, 'utf8') !== readFileSync(POLICY_SOURCE, 'utf8')) {
      const beside = join(ACTIONS_DIR, `${prefix}.org.nova.policy`);
      await copyFile(POLICY_SOURCE, beside);
      cleanups.push(() => rm(beside, { force: true }));
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
    // A polkitd stopped by an earlier test file can linger as a zombie here (init reaps
    // lazily): only a live one counts, or the bus would start one behind our back.
    const states = spawnSync('ps', ['-C', 'polkitd', '-o', 'stat='], { encoding: 'utf8' }).stdout.split('\n').map((l) => l.trim()).filter(Boolean);
    const running = states.some((st) => !st.startsWith('Z') && !st.startsWith('X'));
    if (!running) {
      const polkitd = spawn('/usr/lib/polkit-1/polkitd', ['--no-debug'], { stdio: ['ignore', 'ignore', 'pipe'], detached: false });
      polkitd.stderr.setEncoding('utf8').on('data', (chunk: string) => (polkitdOutput = (polkitdOutput + chunk).slice(-2_000)));
      cleanups.push(async () => {
        if (polkitd.exitCode === null) polkitd.kill('SIGTERM');
        await new Promise((r) => setTimeout(r, 50));
        if (polkitd.exitCode === null) polkitd.kill('SIGKILL');
      });
    }
    // polkitd is ready once pkcheck gets an answer rather than a bus error, and knows
    // every action of this tree's policy (an unknown action is an error, not an answer).
    let lastError = '';
    const newestActions = [...readFileSync(POLICY_SOURCE, 'utf8').matchAll(/<action id="([^"]+)">/g)].map((m) => m[1]!);
    await waitFor(() => newestActions.every((action) => {
      const r = spawnSync('pkcheck', ['--action-id', action, '--process', String(process.pid)], { encoding: 'utf8' });
      lastError = r.stderr.trim();
      return r.status === 0 || r.status === 1 || r.status === 2;
    }), 'polkitd and the Nova policy', 20_000).catch((err: Error) => {
      throw new Error(`${err.message}; pkcheck said: ${lastError}; polkitd said: ${polkitdOutput.trim()}`);
    });
  } catch (err) {
    for (const c of cleanups.reverse()) await c();
    throw err;
  }

  const check = (user: string, action: string) => pkcheckAs(user, action);
  const settle = async (probe: PolkitProbe, answered: (code: number | null) => boolean, what: string) => {
    let last: number | null = null;
    await waitForValue(async () => answered((last = await check(probe.user, probe.action))), 10_000, `polkit to answer ${probe.action} for ${probe.user} ${what}`, 100).catch((err: Error) => {
      throw new Error(`${err.message} (last answer: exit ${String(last)}; polkitd said: ${polkitdOutput.trim() || 'nothing'})`);
    });
  };

  const addRules = async (order: number, name: string, source: string, probe: PolkitProbe, undo: PolkitProbe | null = null) => {
    const file = join(RULES_DIR, `${String(order)}-${prefix}-${name}.rules`);
    await mkdir(RULES_DIR, { recursive: true });
    await writeFile(file, source);
    ruleFiles.push({ file, undo });
    await settle(probe, (code) => code === probe.exitCode, `with exit ${String(probe.exitCode)}`);
  };

  const removeRules = async () => {
    const removed = ruleFiles.splice(0);
    for (const { file } of removed) await rm(file, { force: true });
    for (const { undo } of removed) if (undo) await settle(undo, (code) => code === undo.exitCode, `with exit ${String(undo.exitCode)} again`);
  };

  return {
    async allow(name, action, user) {
      const before = await check(user, action);
      const source =
        `polkit.addRule(function(action, subject) {\n` +
        `  if (action.id == ${JSON.stringify(action)} && subject.user == ${JSON.stringify(user)}) return polkit.Result.YES;\n` +
        `});\n`;
      await addRules(50, name, source, { user, action, exitCode: 0 }, before === null ? null : { user, action, exitCode: before });
    },
    addRules: (order, name, source, probe) => addRules(order, name, source, probe),
    check,
    removeRules,
    async stop() {
      await removeRules();
      for (const c of cleanups.reverse()) await c();
    },
  };
}

/**
 * Asks pkcheck about a process of `user` that lives only for the question, named by
 * pid, start time and uid as the helper names its callers.
 */
async function pkcheckAs(user: string, action: string): Promise<number | null> {
  const sleeper = spawn('setpriv', [`--reuid=${user}`, '--regid=nogroup', '--clear-groups', 'sleep', '30'], { stdio: 'ignore' });
  try {
    const pid = sleeper.pid;
    if (pid === undefined) throw new Error('setpriv did not start');
    // Wait for the exec: before it, the process is still root's setpriv.
    const stat = await waitForValue(() => {
      const comm = readProc(`/proc/${pid}/comm`);
      return comm?.trim() === 'sleep' ? readProc(`/proc/${pid}/stat`) : null;
    }, 5_000, `a process of ${user}`, 10);
    const startTime = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
    const uid = /^Uid:\s+(\d+)/m.exec(readProc(`/proc/${pid}/status`) ?? '')?.[1];
    const r = spawnSync('pkcheck', ['--action-id', action, '--process', `${pid},${startTime ?? ''},${uid ?? ''}`], { encoding: 'utf8', timeout: 10_000 });
    return r.status;
  } finally {
    sleeper.kill('SIGKILL');
  }
}

function readProc(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

const POLICY_TEXT = (): string => readFileSync(POLICY_SOURCE, 'utf8');

/** The policy's allow_active answer for `action`. */
export function activeDefault(action: string): string {
  const block = POLICY_TEXT().split(`<action id="${action}">`)[1]?.split('</action>')[0] ?? '';
  const value = /<allow_active>([^<]+)<\/allow_active>/.exec(block)?.[1];
  if (!value) throw new Error(`no allow_active for ${action} in the policy`);
  return value;
}

/**
 * polkit grants allow_active only to a process in an active local logind session, and
 * these machines run no logind: this rule gives `user` alone exactly what the policy's
 * defaults give an active local session, as a stand-in for one.
 */
export function activeSessionStandIn(user: string): string {
  const answers = Object.fromEntries(ALL_POLKIT_ACTIONS.map((a) => [a, activeDefault(a)]));
  return (
    `polkit.addRule(function (action, subject) {\n` +
    `  var active = ${JSON.stringify(answers)};\n` +
    `  if (subject.user == ${JSON.stringify(user)} && active.hasOwnProperty(action.id)) return active[action.id];\n` +
    `  return polkit.Result.NOT_HANDLED;\n` +
    `});\n`
  );
}

/** The real resources/50-nova.rules with only its group name pointed at a test group. */
export function novaGroupRule(group: string): string {
  const source = readFileSync(join(REPO, 'resources/50-nova.rules'), 'utf8');
  const line = `var NOVA_GROUP = "${NOVA_GROUP}";`;
  if (source.split(line).length !== 2) throw new Error(`resources/50-nova.rules no longer names its group in one "${line}"`);
  return source.replace(line, `var NOVA_GROUP = "${group}";`);
}
