// QEMU as the requesting user: the real helper runs as root (in a network namespace of
// the test's), the client as `nobody` (setpriv) with polkit rules granting
// org.nova.vm.view, org.nova.vm.manage and org.nova.network.manage. Where nobody can reach the VM's files
// the QEMU runs under uid 65534, boots and answers QMP, on a Nova network too (its tap
// is made for that user); behind a state dir it cannot search, or with a root-only tun
// device, the start is refused naming the path, never run as root instead. A QEMU that
// root started hands nobody its consoles (serial, its log, VNC) but never QMP.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callAsNobody as callAs, callAsRoot as callRoot, effectiveUid as uidOf, runAsNobody } from './fixtures/as-nobody.js';
import { ensureTestGuest, GUEST_PROMPT, GUEST_READY_MARKER, type TestGuest } from './fixtures/guest-builder.js';
import { waitForLogText } from './fixtures/guest-serial.js';
import { makeTestDir, rawCall, removeTestDir, request, startHelper, type RunningHelper } from './helper-harness.js';
import { pidsMentioning } from './network-harness.js';
import { polkitAvailable, startPolkit, type PolkitHarness } from './polkit-harness.js';

const PREFIX = 'nv3g-user';
const VM = 'nv3g-user-vm';
const NETNS = `nv3g${randomBytes(3).toString('hex')}`;
const NETWORK = 'nv3glab';
let dir = '';
let helper: RunningHelper;
let polkit: PolkitHarness;
let guest: TestGuest;

const callAsNobody = (method: string, params: unknown) => callAs(helper.socketPath, method, params);

beforeAll(async () => {
  if (!polkitAvailable()) throw new Error('polkit is not installed: run .ci/bootstrap (apt-get install dbus polkitd pkexec)');
  guest = await ensureTestGuest();
  dir = await makeTestDir(PREFIX);
  polkit = await startPolkit(PREFIX);
  await polkit.allow('vm', 'org.nova.vm.manage', 'nobody');
  // vm.get and vm.metrics are views: a user who manages VMs sees them too (the nova group, or the desk).
  await polkit.allow('vm-view', 'org.nova.vm.view', 'nobody');
  await polkit.allow('net', 'org.nova.network.manage', 'nobody');
  execFileSync('ip', ['netns', 'add', NETNS]);
  execFileSync('ip', ['-n', NETNS, 'link', 'set', 'lo', 'up']);
  helper = await startHelper(dir, { netns: NETNS, extraArgs: ['--run-dir', `${dir}/run`, '--allowed-root', '/var/cache/nova-test-guest'] });
}, 600_000);

afterAll(async () => {
  try {
    await rawCall(helper.socketPath, [request(1, 'vm.delete', { name: VM, force: true })]).catch(() => undefined);
    await helper?.stop();
  } finally {
    for (const pid of await pidsMentioning(dir)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
    await polkit?.stop();
    spawnSync('ip', ['netns', 'delete', NETNS]);
    await removeTestDir(dir);
  }
});

const TUN = '/dev/net/tun';

/** `ip -d link` of the VM's tap on the test network: shows the tap's owner. */
async function tapDetails(): Promise<string> {
  // Read as root: reading networks is org.nova.network.view, which nobody is not granted here.
  const { replies } = await rawCall(helper.socketPath, [request(1, 'network.get', { name: NETWORK })]);
  const net = replies[0]?.result as { attachments: Array<{ resource: string; hostIfname: string }> };
  const tap = net.attachments.find((a) => a.resource === VM)?.hostIfname;
  if (!tap) throw new Error(`${VM} has no tap on ${NETWORK}`);
  return execFileSync('ip', ['-n', NETNS, '-d', 'link', 'show', 'dev', tap], { encoding: 'utf8' });
}

/**
 * What `nobody` gets from a file of the VM (a throwaway Node run through setpriv): `serial`
 * types a command on a serial socket once the shell prompts and prints what follows until
 * `expect` shows up; `read` prints a file; `banner` prints a socket's first bytes; any
 * failure prints its errno code (EACCES...).
 */
const NOBODY_PROBE = `
const [mode, path, command, expected] = process.argv.slice(1);
const fail = (e) => { console.log(e.code || e.message); process.exit(0); };
setTimeout(() => { console.log('TIMEOUT: ' + text.slice(-300)); process.exit(1); }, 30000).unref();
let text = '';
if (mode === 'read') {
  try { process.stdout.write(require('fs').readFileSync(path, 'utf8')); } catch (e) { fail(e); }
} else {
  const s = require('net').connect(path);
  s.on('error', fail);
  if (mode === 'banner') s.once('data', (d) => { console.log(d.toString('latin1')); s.destroy(); });
  if (mode === 'serial') {
    let from = -1;
    const poke = setInterval(() => from < 0 && s.write('\\n'), 500);
    s.on('data', (d) => {
      text += d.toString('utf8').replace(/\\x1b\\[[0-9;?]*[A-Za-z]/g, '').replace(/\\r/g, '');
      if (from < 0 && text.includes(${JSON.stringify(GUEST_PROMPT.trim())})) {
        from = text.length;
        clearInterval(poke);
        s.write(command + '\\n');
      }
      if (from >= 0 && text.slice(from).includes(expected)) { console.log(text.slice(from)); s.destroy(); }
    });
  }
}
`;

async function probeAsNobody(mode: 'serial' | 'read' | 'banner', path: string, ...args: string[]): Promise<string> {
  const r = await runAsNobody([process.execPath, '-e', NOBODY_PROBE, mode, path, ...args]);
  if (r.exitCode !== 0) throw new Error(`probe ${mode} ${path} as nobody failed (${r.exitCode}): ${r.stdout} ${r.stderr}`);
  return r.stdout.trim();
}

async function ownerAndMode(path: string): Promise<{ uid: number; mode: number }> {
  const st = await stat(path);
  return { uid: st.uid, mode: st.mode & 0o777 };
}

/** Root's call, for what nobody is not asking here (a root QEMU). */
const callAsRoot = (method: string, params: unknown) => callRoot(helper.socketPath, method, params);

async function boot(as: 'nobody' | 'root'): Promise<number> {
  const info = await (as === 'nobody' ? callAsNobody : callAsRoot)('vm.start', { name: VM });
  expect(info.state).toBe('running');
  const consoles = await callAsNobody('vm.consoleInfo', { name: VM });
  await waitForLogText(consoles.serialLog as string, GUEST_READY_MARKER, 60_000);
  // The helper (root) still drives it through QMP.
  const metrics = await callAsNobody('vm.metrics', { name: VM });
  expect(metrics.rssBytes).toBeGreaterThan(0);
  return info.pid as number;
}

const bootAsNobody = () => boot('nobody');

/** The start's refusal as `code: message`, after checking no QEMU of the VM was left running. */
async function refusedStart(): Promise<string> {
  const outcome = await callAsNobody('vm.start', { name: VM }).then(
    () => 'started',
    (err: Error) => err.message,
  );
  expect((await callAsNobody('vm.get', { name: VM })).state).toBe('stopped');
  expect(await pidsMentioning(`nova-vm-${VM}`)).toEqual([]);
  return outcome;
}

describe('QEMU as the calling user', () => {
  it('refuses, naming the state dir, when the caller cannot search it: no root QEMU in its place', async () => {
    // Nova makes it searchable (0711); an administrator may have closed it. The VM names its
    // accelerator: `auto` would run the host check, whose capsule probe opens the state dir
    // to others again (o+x) before the start is checked.
    await chmod(helper.stateDir, 0o700);
    await callAsNobody('vm.create', {
      name: VM,
      accel: 'tcg',
      cpus: 1,
      memory: '256Mi',
      kernel: guest.vmlinux,
      initrd: guest.initrdPlain,
      cmdline: guest.cmdline,
      display: 'vnc',
      network: 'user',
    });
    expect(await refusedStart()).toBe(
      `failed_precondition: VM ${VM} runs as the calling user (uid 65534), who cannot reach its folder: ${helper.stateDir} (no search right). ` +
        'Give that user access to it, or start the VM as root; Nova never runs QEMU as root for another user',
    );
  });

  it('hands the caller the serial console, its log and the VNC socket of a QEMU root started, never QMP', async () => {
    const pid = await boot('root');
    try {
      expect(await uidOf(pid)).toBe(0);
      const consoles = await callAsNobody('vm.consoleInfo', { name: VM });
      const run = dirname(consoles.serialSocket as string);
      expect(run.startsWith(`${dir}/run/`)).toBe(true);
      // The log itself stays in the VM's folder behind the 0700 state dir: nobody reads its second name.
      expect(consoles.serialLog).toBe(`${run}/serial.log`);
      expect((await stat(`${run}/serial.log`)).ino).toBe((await stat(`${helper.stateDir}/vms/${VM}/serial.log`)).ino);
      expect(await ownerAndMode(run)).toEqual({ uid: 0, mode: 0o711 });
      for (const [file, uid] of [['serial.sock', 65534], ['vnc.sock', 65534], ['serial.log', 65534], ['qmp.sock', 0]] as const) {
        expect({ file, ...(await ownerAndMode(`${run}/${file}`)) }).toEqual({ file, uid, mode: 0o600 });
      }

      const t0 = Date.now();
      const answer = await probeAsNobody('serial', `${run}/serial.sock`, 'echo nv3g-$((6*7))', 'nv3g-42');
      console.log(`serial round trip as nobody: ${Date.now() - t0} ms`);
      expect(answer).toContain('nv3g-42');
      const log = await probeAsNobody('read', consoles.serialLog as string);
      expect(log).toContain(GUEST_READY_MARKER);
      expect(log).toContain('nv3g-42');
      expect(await probeAsNobody('read', `${helper.stateDir}/vms/${VM}/serial.log`)).toBe('EACCES');
      // main's console proxy speaks raw RFB on this socket (QEMU still asks for the VNC password).
      expect(await probeAsNobody('banner', `${run}/vnc.sock`)).toMatch(/^RFB 003\.00\d/);
      expect(await probeAsNobody('banner', `${run}/qmp.sock`)).toBe('EACCES');
    } finally {
      await callAsNobody('vm.stop', { name: VM, force: true });
    }
  });

  it("runs QEMU under the caller's uid once its files are reachable", async () => {
    // Searchable again, as Nova makes it (its records stay 0600).
    await chmod(helper.stateDir, 0o711);
    const pid = await bootAsNobody();
    expect(await uidOf(pid)).toBe(65534);
    await callAsNobody('vm.stop', { name: VM, force: true });
    expect((await callAsNobody('vm.get', { name: VM })).state).toBe('stopped');
  });

  it("keeps the caller's uid on a Nova network where the tun device is open to users: the tap is made for that user", async () => {
    await callAsNobody('network.create', { name: NETWORK, profile: 'internal', subnet: '10.93.0.1/24' });
    await callAsNobody('vm.update', { name: VM, network: { nova: NETWORK } });
    // As udev leaves it on a Debian desktop; this machine keeps it root-only, restored below.
    const tunMode = (await stat(TUN)).mode & 0o777;
    await chmod(TUN, 0o666);
    try {
      const pid = await bootAsNobody();
      expect(await uidOf(pid)).toBe(65534);
      expect(await tapDetails()).toMatch(/tun type tap .*user (65534|nobody) /);
    } finally {
      await callAsNobody('vm.stop', { name: VM, force: true }).catch(() => undefined);
      await chmod(TUN, tunMode);
    }
  });

  it('refuses, naming the tun device, where it is root-only', async () => {
    const tunMode = (await stat(TUN)).mode & 0o777;
    await chmod(TUN, 0o600);
    try {
      expect(await refusedStart()).toMatch(/^failed_precondition: .*the tun device \(Nova networks\): \/dev\/net\/tun \(no read-write right\)/);
    } finally {
      await callAsNobody('vm.stop', { name: VM, force: true }).catch(() => undefined);
      await chmod(TUN, tunMode);
    }
    await callAsNobody('vm.delete', { name: VM, force: true });
    await callAsNobody('network.delete', { name: NETWORK });
  });
});
