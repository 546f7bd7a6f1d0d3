// SPICE through remote-viewer, for real: an Xvfb display, a q35 test guest with VNC and
// SPICE, main's handler table over the real helper opening the viewer, and proof that it
// connected (the kernel's socket table, QMP query-spice) plus a screenshot of the screen.
// A second case runs QEMU as root and the viewer as `nobody`, through the socket hand-over.
import { spawn } from 'node:child_process';
import { chown, mkdir, open, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NovaApiHandlers } from '../../src-main/core/nova-api-handlers.js';
import { HelperClient } from '../../src-main/core/helper-client.js';
import { RemoteViewerLauncher, type SpawnedViewer } from '../../src-main/core/remote-viewer-launcher.js';
import type { Envelope } from '../../src-shared/errors.js';
import type { VmConsoleInfo } from '../../src-shared/vm.js';
import { silentLogger } from '../src/util/logger.js';
import { OperationManager } from '../src/operations/operation-manager.js';
import { VmManager } from '../src/vm/vm-manager.js';
import { ensureTestGuest, GUEST_PROMPT, GUEST_READY_MARKER, type TestGuest } from './fixtures/guest-builder.js';
import { GuestSerial, waitForLogText, waitForShell } from './fixtures/guest-serial.js';
import { screenshotUntilBusy, startXvfb, stopProcess, type XDisplay } from './fixtures/x-display.js';
import { makeTestDir, removeTestDir, REPO, startHelper, type RunningHelper } from './helper-harness.js';
import { vmSpec } from './fixtures/contract-params.js';

const SCREEN_TEXT = 'NOVA SPICE VIEWER TEST';
const ARTIFACTS = join(REPO, 'e2e/artifacts');

let dir = '';
let guest: TestGuest;
let xvfb: XDisplay | null = null;
let helper: RunningHelper | null = null;
let client: HelperClient | null = null;
let vms: VmManager | null = null;
const viewerPids: number[] = [];
const savedEnv = { DISPLAY: process.env.DISPLAY, WAYLAND_DISPLAY: process.env.WAYLAND_DISPLAY, XDG_STATE_HOME: process.env.XDG_STATE_HOME };

beforeAll(async () => {
  guest = await ensureTestGuest();
  dir = await makeTestDir('nv3s');
  await mkdir(ARTIFACTS, { recursive: true });
  xvfb = await startXvfb(93, 140);
}, 180_000);

afterAll(async () => {
  for (const pid of viewerPids) killQuietly(pid);
  await vms?.detachAll();
  client?.close();
  await helper?.stop();
  if (dir) await killQemusUnder(dir);
  if (xvfb) await stopProcess(xvfb.process);
  for (const [k, v] of Object.entries(savedEnv)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  if (dir) await removeTestDir(dir);
});

function guestSpec(name: string) {
  return {
    name,
    cpus: 1,
    memory: '256Mi',
    // The bzImage, not the PVH vmlinux: only the Linux boot protocol tells the kernel about
    // the VGA text screen. tty0 first: kernel messages reach the screen too; /dev/console
    // (the shell) stays on ttyS0.
    kernel: guest.bzImage,
    initrd: guest.initrdPlain,
    cmdline: `console=tty0 ${guest.cmdline}`,
    display: 'both' as const,
  };
}

describe('vm.openViewer through main, QEMU and main as root', () => {
  const name = 'nv3s-spice';
  let handlers: NovaApiHandlers;

  async function call<T>(method: string, params: unknown): Promise<T> {
    const r = (await handlers.invoke(method, params)) as Envelope<T>;
    if (!r.ok) throw new Error(`${method}: ${r.error.code}: ${r.error.message}`);
    return r.value;
  }

  beforeAll(async () => {
    helper = await startHelper(dir, { extraArgs: ['--allowed-root', join(guest.vmlinux, '..')] });
    client = new HelperClient({ socketPath: helper.socketPath, reconnect: false });
    client.start();
    await client.waitForConnection(10_000);
    // main's own session: the default launcher reads it from process.env, as Electron's and `nova web`'s do.
    process.env.DISPLAY = xvfb!.display;
    delete process.env.WAYLAND_DISPLAY;
    process.env.XDG_STATE_HOME = join(dir, 'xdg-state');
    handlers = new NovaApiHandlers({ helper: client, mode: 'cli', version: 'test' });
  });

  it('says remote-viewer is available in this session', async () => {
    const support = await call<{ available: boolean; display: string | null; program: string | null }>('vm.viewerSupport', {});
    expect(support).toMatchObject({ available: true, display: xvfb!.display, program: expect.stringMatching(/remote-viewer$/) });
  });

  it('refuses a stopped VM in words', async () => {
    await call('vm.create', guestSpec(name));
    const r = await handlers.invoke('vm.openViewer', { name });
    expect(r).toEqual({ ok: false, error: { code: 'failed_precondition', message: `VM ${name} is stopped: start it, then open its display` } });
  });

  it('opens the running VM in remote-viewer, which connects and shows the guest console', async () => {
    await call('vm.start', { name });
    const consoles = await call<VmConsoleInfo>('vm.consoleInfo', { name });
    await waitForLogText(consoles.serialLog, GUEST_READY_MARKER, 60_000);
    const serial = await GuestSerial.connect(consoles.serialSocket);
    try {
      await waitForShell(serial, GUEST_PROMPT);
      await serial.run(`clear > /dev/tty1; echo '${SCREEN_TEXT}' > /dev/tty1`, GUEST_PROMPT);
    } finally {
      serial.close();
    }

    const t0 = Date.now();
    const opened = await call<{ pid: number; uri: string }>('vm.openViewer', { name });
    viewerPids.push(opened.pid);
    console.log(`vm.openViewer: ${Date.now() - t0} ms (includes the 1 s settle)`);
    expect(opened.uri).toBe(`spice+unix://${consoles.spice!.socket}`);
    const cmdline = (await readFile(`/proc/${opened.pid}/cmdline`, 'utf8')).split('\0');
    expect(cmdline.slice(1)).toEqual(['--title', `${name} (Nova)`, opened.uri, '']);

    // SPICE opens one connection per channel (main, display, inputs, cursor...).
    await expect
      .poll(() => connectionsTo(consoles.spice!.socket), { timeout: 20_000, interval: 250 })
      .toBeGreaterThanOrEqual(2);
    const shot = await screenshotUntilBusy(xvfb!.display, join(ARTIFACTS, 'spice-viewer-root.png'));
    console.log(`screenshot: ${shot}`);
  });
});

describe('QEMU as root, the viewer as another user', () => {
  const name = 'nv3s-handover';

  it('hands that user its consoles (never QMP), and their remote-viewer connects (query-spice)', async () => {
    const nobody = await idsOf('nobody');
    vms = new VmManager({
      stateDir: join(dir, 'state2'),
      runDir: join(dir, 'run2'),
      allowedRoots: [join(guest.vmlinux, '..')],
      hostAccelerator: async () => 'tcg',
      logger: silentLogger(),
      operations: new OperationManager({ logger: silentLogger(), emit: () => undefined }),
    });
    await vms.init();
    await vms.create(vmSpec(guestSpec(name)));
    await vms.start(name); // no runAs: QEMU runs as root
    const paths = vms.layout.runtimePaths(name);
    expect((await stat(paths.spiceSocket)).uid).toBe(0);

    const info = await vms.consoleInfo(name, nobody);
    expect(info.spice?.socket).toBe(paths.spiceSocket);
    const sock = await stat(paths.spiceSocket);
    expect({ uid: sock.uid, mode: sock.mode & 0o777 }).toEqual({ uid: nobody.uid, mode: 0o600 });
    expect((await stat(vms.layout.vmRunDir(name))).mode & 0o777).toBe(0o711);
    // The serial and VNC sockets are the caller's too (main's console proxy needs them); QMP never.
    for (const [other, uid] of [[paths.qmpSocket, 0], [paths.serialSocket, nobody.uid], [paths.vncSocket, nobody.uid]] as const) {
      const st = await stat(other);
      expect({ other, uid: st.uid, mode: st.mode & 0o777 }).toEqual({ other, uid, mode: 0o600 });
    }
    // The user can connect to SPICE and never to QMP of this root QEMU.
    expect(await connectAs(nobody, paths.spiceSocket)).toBe('connected');
    expect(await connectAs(nobody, paths.qmpSocket)).toMatch(/EACCES/);

    const home = join(dir, 'nobody-home');
    await mkdir(home, { mode: 0o700 });
    await chown(home, nobody.uid, nobody.gid);
    const launcher = new RemoteViewerLauncher({
      consoleInfo: async () => info,
      vmInfo: (n) => vms!.get(n),
      env: { PATH: '/usr/bin:/bin', DISPLAY: xvfb!.display, HOME: home },
      logDir: home,
      spawnViewer: (argv, opts) => spawnAs(nobody, argv, opts.env, opts.logPath),
    });
    const { pid } = await launcher.open(name);
    viewerPids.push(pid);
    type SpiceInfo = { enabled: boolean; channels?: Array<{ 'channel-type': number; family: string }> };
    const qmp = vms.qmpOf(name);
    await expect
      .poll(async () => ((await qmp.execute<SpiceInfo>('query-spice')).channels ?? []).length, { timeout: 20_000, interval: 250 })
      .toBeGreaterThanOrEqual(2);
    const spice = await qmp.execute<SpiceInfo>('query-spice');
    expect(spice.enabled).toBe(true);
    expect(spice.channels!.map((c) => c['channel-type'])).toContain(1); // 1 = main channel
    expect((await stat(`/proc/${pid}`)).uid).toBe(nobody.uid);
    await screenshotUntilBusy(xvfb!.display, join(ARTIFACTS, 'spice-viewer-nobody.png'));
  });
});

// ---- fixtures -------------------------------------------------------------------

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone already
  }
}

/** SIGKILLs every QEMU (and stray viewer) whose command line points into this run's dir. */
async function killQemusUnder(root: string): Promise<void> {
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(root) && (cmdline.includes('process=nova-vm-nv3s-') || cmdline.includes('remote-viewer'))) killQuietly(Number(entry));
  }
}

async function idsOf(user: string): Promise<{ uid: number; gid: number }> {
  const [uid, gid] = await Promise.all([execa('id', ['-u', user]), execa('id', ['-g', user])]);
  return { uid: Number(uid.stdout), gid: Number(gid.stdout) };
}

/** Connects to a unix socket as `who` (a throwaway Node child), reporting "connected" or the errno. */
async function connectAs(who: { uid: number; gid: number }, path: string): Promise<string> {
  const script = `const s=require('net').connect(${JSON.stringify(path)});s.on('connect',()=>{console.log('connected');s.destroy()});s.on('error',(e)=>console.log(e.code))`;
  const r = await execa(process.execPath, ['-e', script], { uid: who.uid, gid: who.gid, timeout: 10_000, reject: false });
  return r.stdout.trim() || r.stderr.trim();
}

/** The launcher's spawn, as another user: what a non-root Nova's own spawn does. */
async function spawnAs(who: { uid: number; gid: number }, argv: readonly string[], env: NodeJS.ProcessEnv, logPath: string): Promise<SpawnedViewer> {
  const log = await open(logPath, 'w', 0o600);
  const child = spawn(argv[0]!, argv.slice(1), { uid: who.uid, gid: who.gid, detached: true, stdio: ['ignore', log.fd, log.fd], env });
  // Listen before any await: 'spawn' fires on the next tick.
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once('exit', (code, signal) => r({ code, signal })));
  const started = new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  await log.close();
  await started;
  child.unref();
  return { pid: child.pid!, exited };
}

/** Established connections whose server end is `path`, as the kernel's socket table lists them. */
async function connectionsTo(path: string): Promise<number> {
  const r = await execa('ss', ['-xHn', 'state', 'connected'], { reject: false, timeout: 5000 });
  return r.stdout.split('\n').filter((l) => l.split(/\s+/).includes(path)).length;
}

