// The Debian package as a user meets it: built offline, checked by lintian, installed
// with apt-get from the file alone, used by a member of the nova group without a prompt
// (the installed helper, polkit policy and group rule together), then removed and purged
// leaving nothing but the group. It installs into the real system, so it runs alone (a
// machine-wide lock), never replaces a real install of Nova, and puts back what it found:
// files the package overwrote (a clone's bootstrap installs the polkit files too) and the
// nova group exactly as it was. Systemd is not PID 1 here: the installed helper binary is
// run by hand on a test socket and state dir, never on the unit's /run/nova/helper.sock.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POLKIT_ACTIONS } from '../../src-shared/actions.js';
import { createUser } from './fixtures/test-accounts.js';
import { waitFor } from './fixtures/wait-for.js';
import { makeTestDir, REPO, removeTestDir, startHelper, type RunningHelper } from './helper-harness.js';
import { polkitAvailable, startPolkit, type PolkitHarness } from './polkit-harness.js';

const PREFIX = 'nv3d';
const MEMBER = 'nv3d-member';
const OUTSIDER = 'nobody';
/** Held by the run that installs; a second tree's run waits for it, then takes its turn. */
const LOCK = '/run/lock/nv3d-package-install.pid';
const VERSION = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version;
const APT_ENV = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
/** Waits its turn for dpkg's lock (another tree may run apt-get) rather than failing at once. */
const APT_OPTS = ['-o', 'DPkg::Lock::Timeout=120', '-y', '-q'];

interface FileBackup {
  path: string;
  content: Buffer;
  mode: number;
}

interface GroupState {
  gid: string;
  members: string;
}

let dir = '';
let deb = '';
let packagePaths: string[] = [];
let backups: FileBackup[] = [];
let groupBefore: GroupState | null = null;
let helper: RunningHelper | null = null;
let polkit: PolkitHarness | null = null;
let lockHeld = false;
const cleanups: Array<() => Promise<void>> = [];

function run(argv: string[], options: { env?: NodeJS.ProcessEnv; timeout?: number } = {}): SpawnSyncReturns<string> {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: options.timeout ?? 120_000, env: options.env ?? process.env });
  if (r.error) throw r.error;
  return r;
}

function packageStatus(): string {
  return run(['dpkg-query', '-W', '-f=${Status}', 'nova']).stdout.trim();
}

function novaGroup(): GroupState | null {
  const r = run(['getent', 'group', 'nova']);
  if (r.status !== 0) return null;
  const [, , gid, members] = r.stdout.trim().split(':');
  return { gid: gid!, members: members ?? '' };
}

async function accountCommand(argv: string[]): Promise<void> {
  await waitFor(() => {
    const r = run(argv);
    if (r.status === 0) return true;
    if (/lock/i.test(r.stderr)) return false;
    throw new Error(`${argv.join(' ')}: exit ${String(r.status)} ${r.stderr}`);
  }, 15_000, `${argv.join(' ')} (the account database is locked)`, 200);
}

/** The nova group as it was before the test: same gid, or absent. */
async function restoreGroup(): Promise<void> {
  const now = novaGroup();
  if (!groupBefore) {
    if (now) await accountCommand(['groupdel', 'nova']);
  } else if (!now) {
    await accountCommand(['groupadd', '--system', '--gid', groupBefore.gid, 'nova']);
  } else if (now.gid !== groupBefore.gid) {
    await accountCommand(['groupmod', '--gid', groupBefore.gid, 'nova']);
  }
}

function lockHolderAlive(): boolean {
  let pid = 0;
  try {
    pid = Number(readFileSync(LOCK, 'utf8'));
  } catch {
    return false;
  }
  // A lock file made this instant has no pid in it yet: its maker is alive.
  if (!pid) return true;
  try {
    // Dead, or a zombie this machine's init has not reaped yet.
    return !/^\S+ \(.*\) [ZX] /s.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

async function takeLock(): Promise<void> {
  await waitFor(() => {
    try {
      writeFileSync(LOCK, String(process.pid), { flag: 'wx' });
      return true;
    } catch {
      // A run that died without its afterAll leaves the lock behind: its pid says so.
      if (!lockHolderAlive()) rmSync(LOCK, { force: true });
      return false;
    }
  }, 300_000, 'another run of the package install test to finish', 500);
  lockHeld = true;
}

/** The absolute paths the package holds, as dpkg-deb lists them (files, links and folders). */
function contentsOf(debFile: string): string[] {
  return run(['dpkg-deb', '--contents', debFile])
    .stdout.split('\n')
    .filter(Boolean)
    .map((line) => line.slice(line.indexOf(' ./') + 2).replace(/ -> .*$/, '').replace(/\/$/, ''))
    .filter((p) => p !== '');
}

function isFile(path: string): boolean {
  try {
    return lstatSync(path).isFile();
  } catch {
    return false;
  }
}

/** systemd's enablement links and deb-systemd-helper's records that name the helper unit. */
function unitTraces(): string[] {
  const found: string[] = [];
  const visit = (d: string) => {
    if (!existsSync(d)) return;
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.name.includes('nova-helper')) found.push(p);
      if (e.isDirectory() && !e.isSymbolicLink()) visit(p);
    }
  };
  visit('/etc/systemd/system');
  for (const d of readdirSync('/var/lib/systemd').filter((n) => n.startsWith('deb-systemd-helper'))) visit(join('/var/lib/systemd', d));
  return found;
}

function installedHelpers(): string[] {
  return run(['pgrep', '-af', '/usr/lib/nova/helper/nova-helper.mjs']).stdout.split('\n').filter(Boolean);
}

function asUser(user: string, group: string, script: string, timeout = 60_000): SpawnSyncReturns<string> {
  // A clean login-like environment: only the system's PATH, so nothing of this clone is found.
  return run(['setpriv', `--reuid=${user}`, `--regid=${group}`, '--init-groups', 'env', '-i', 'PATH=/usr/bin:/bin', 'HOME=/', 'sh', '-c', script], { timeout });
}

const installed = packageStatus() === 'install ok installed';

describe.skipIf(installed)('the Debian package (a real install of nova on this machine is left alone)', () => {
  beforeAll(async () => {
    await takeLock();
    dir = await makeTestDir(PREFIX);
    groupBefore = novaGroup();
    const build = run([process.execPath, join(REPO, 'resources/packaging/build-deb.mjs')], { timeout: 120_000 });
    expect(build.stderr).toBe('');
    expect(build.status).toBe(0);
    deb = join(REPO, `out/package/nova_${VERSION}_${run(['dpkg', '--print-architecture']).stdout.trim()}.deb`);
    packagePaths = contentsOf(deb);
    // Files already there that no package owns (a clone's bootstrap installs the polkit
    // files): dpkg takes them over and removes them with the package; they are put back.
    backups = packagePaths
      .filter((p) => isFile(p))
      .map((p) => ({ path: p, content: readFileSync(p), mode: statSync(p).mode & 0o7777 }));
    // A nova group nobody has joined yet is taken away, so the install must create it.
    if (groupBefore && groupBefore.members === '') await accountCommand(['groupdel', 'nova']);
  });

  afterAll(async () => {
    await helper?.stop();
    await polkit?.stop();
    for (const c of cleanups.reverse()) await c().catch((err: Error) => process.stderr.write(`cleanup: ${err.message}\n`));
    if (lockHeld) {
      if (packageStatus() !== '' && !packageStatus().includes('not-installed')) run(['dpkg', '--purge', 'nova'], { env: APT_ENV });
      for (const b of backups) {
        mkdirSync(dirname(b.path), { recursive: true });
        writeFileSync(b.path, b.content);
        chmodSync(b.path, b.mode);
      }
      await restoreGroup();
      rmSync(LOCK, { force: true });
    }
    if (dir) await removeTestDir(dir);
  });

  it('builds offline, and lintian reports no errors', () => {
    expect(packagePaths).toEqual(expect.arrayContaining(['/usr/bin/nova', '/usr/libexec/nova/nova-helper', '/lib/systemd/system/nova-helper.service']));
    const lintian = run(['lintian', '--no-tag-display-limit', deb], { timeout: 180_000 });
    expect(lintian.stdout.split('\n').filter((l) => l.startsWith('E:'))).toEqual([]);
    expect(lintian.status).toBe(0);
  });

  it('installs with apt-get from the file alone, creating the nova group and saying how to join it', () => {
    const r = run(['apt-get', 'install', ...APT_OPTS, deb], { env: APT_ENV, timeout: 300_000 });
    expect(r.status, r.stderr + r.stdout).toBe(0);
    // Every dependency was already here (bootstrap): apt had nothing to fetch.
    expect(r.stdout).toMatch(/^0 upgraded, 1 newly installed, 0 to remove/m);
    expect(packageStatus()).toBe('install ok installed');
    expect(novaGroup()).not.toBeNull();
    if (!groupBefore || groupBefore.members === '') expect(r.stderr + r.stdout).toContain("join it with 'sudo adduser YOUR_USER nova'");
  });

  it('puts every file where the system looks for it, valid as installed', () => {
    for (const path of [
      '/usr/bin/nova',
      '/usr/libexec/nova/nova-helper',
      '/usr/lib/nova/cli/nova.mjs',
      '/usr/lib/nova/helper/nova-helper.mjs',
      '/usr/lib/nova/helper/peercred.node',
      '/usr/lib/nova/node_modules/node-pty/build/Release/pty.node',
      '/usr/lib/nova/renderer/index.html',
      '/lib/systemd/system/nova-helper.service',
      '/usr/share/polkit-1/actions/org.nova.policy',
      '/usr/share/polkit-1/rules.d/50-nova.rules',
      '/usr/share/icons/hicolor/scalable/apps/org.nova.Nova.svg',
      '/usr/share/icons/hicolor/48x48/apps/org.nova.Nova.png',
      '/usr/share/icons/hicolor/256x256/apps/org.nova.Nova.png',
      '/usr/share/man/man1/nova.1.gz',
      '/usr/share/doc/nova/copyright',
      '/usr/share/nova/examples/hello/NovaFile.toml',
    ]) {
      expect({ path, exists: existsSync(path) }).toEqual({ path, exists: true });
    }
    const desktop = '/usr/share/applications/org.nova.Nova.desktop';
    expect(run(['desktop-file-validate', desktop]).stdout).toBe('');
    // The menu entry runs a program this package installed.
    const exec = /^Exec=(\S+)/m.exec(readFileSync(desktop, 'utf8'))?.[1] ?? '';
    expect(run(['dpkg-query', '-S', `/usr/bin/${exec}`]).stdout).toMatch(/^nova: /);
    expect(run(['appstreamcli', 'validate', '--no-net', '/usr/share/metainfo/org.nova.Nova.metainfo.xml']).status).toBe(0);
    const verify = run(['systemd-analyze', 'verify', '--man=no', '/lib/systemd/system/nova-helper.service']);
    expect(verify.stderr.split('\n').filter((l) => l.includes('nova-helper.service'))).toEqual([]);
  });

  it('enables the unit for the next boot but starts nothing where systemd is not running', () => {
    expect(existsSync('/run/systemd/system')).toBe(false);
    expect(readdirSync('/etc/systemd/system/multi-user.target.wants')).toContain('nova-helper.service');
    expect(installedHelpers()).toEqual([]);
  });

  it('nova --version works for a normal user, from the PATH', async () => {
    cleanups.push(await createUser(MEMBER, ['nova']));
    const r = asUser(MEMBER, MEMBER, 'command -v nova && nova --version');
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`/usr/bin/nova\nnova ${VERSION}\n`);
  });

  it('carries the example project the app offers, valid for the installed nova', () => {
    const r = asUser(MEMBER, MEMBER, 'cd /tmp && nova validate /usr/share/nova/examples/hello/NovaFile.toml');
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/NovaFile\.toml is valid: project hello/);
  });

  it('a member of the nova group runs nova host check on the installed helper without a prompt; others are refused', async () => {
    if (!polkitAvailable()) throw new Error('polkit is not installed: run .ci/bootstrap (apt-get install dbus polkitd pkexec)');
    expect(existsSync('/usr/libexec/nova/nova-helper')).toBe(true);
    polkit = await startPolkit(PREFIX);
    helper = await startHelper(dir, { program: ['/usr/libexec/nova/nova-helper'] });
    const check = (user: string, group: string) => asUser(user, group, `nova --json --socket ${helper!.socketPath} --no-autostart host check`, 120_000);
    // polkitd reads the package's rules file when its folder changes: wait for it to answer.
    const member = await waitFor(() => {
      const r = check(MEMBER, MEMBER);
      return r.stdout.includes('"items"') ? r : null;
    }, 60_000, `nova host check as ${MEMBER} to be allowed by the installed group rule`, 500);
    expect(member.stderr).toBe('');
    const report = JSON.parse(member.stdout) as { items: Array<{ status: string }> };
    expect(report.items.length).toBeGreaterThan(5);
    const outsider = check(OUTSIDER, 'nogroup');
    expect(outsider.status).toBe(1);
    expect(outsider.stderr).toMatch(new RegExp(`${POLKIT_ACTIONS.hostInspect.replace(/\./g, '\\.')}.*\\[not_authorized\\]`));
    await helper.stop();
    helper = null;
    await polkit.stop();
    polkit = null;
  });

  it('apt-get remove takes the program away and keeps the group; purge leaves no file behind', () => {
    const removed = run(['apt-get', 'remove', ...APT_OPTS, 'nova'], { env: APT_ENV, timeout: 300_000 });
    expect(removed.status, removed.stderr).toBe(0);
    expect(existsSync('/usr/bin/nova')).toBe(false);
    expect(novaGroup()).not.toBeNull();
    const purged = run(['apt-get', 'purge', ...APT_OPTS, 'nova'], { env: APT_ENV, timeout: 300_000 });
    expect(purged.status, purged.stderr).toBe(0);
    expect(packageStatus()).toMatch(/^$|not-installed/);
    const left = packagePaths.filter((p) => isFile(p));
    expect(left).toEqual([]);
    for (const folder of ['/usr/lib/nova', '/usr/libexec/nova', '/usr/share/doc/nova', '/usr/share/nova']) expect({ folder, exists: existsSync(folder) }).toEqual({ folder, exists: false });
    expect(unitTraces()).toEqual([]);
    expect(novaGroup()).not.toBeNull();
  });
});
