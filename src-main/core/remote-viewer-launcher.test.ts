import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { NovaError } from '../../src-shared/errors.js';
import type { VmConsoleInfo, VmDefinition, VmInfo } from '../../src-shared/vm.js';
import { findOnPath, RemoteViewerLauncher, remoteViewerArgv, sessionDisplay, type RemoteViewerDeps, type SpawnedViewer } from './remote-viewer-launcher.js';

let dir: string;
let bin: string;
let socket: string;
let server: Server;
const pids: number[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nv3s-viewer-'));
  bin = join(dir, 'bin');
  await mkdir(bin);
  socket = join(dir, 'spice.sock');
  server = createServer((c) => c.destroy());
  await new Promise<void>((r) => server.listen(socket, r));
});

afterEach(() => {
  for (const pid of pids.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
  await rm(dir, { recursive: true, force: true });
});

async function fakeViewer(script: string): Promise<string> {
  const path = join(bin, 'remote-viewer');
  await writeFile(path, `#!/bin/sh\n${script}\n`);
  await chmod(path, 0o755);
  return path;
}

function vmInfo(def: Partial<VmDefinition>, state: VmInfo['state']): VmInfo {
  return {
    definition: {
      version: 2, name: 'desk', osType: 'linux', cpus: 1, memoryMiB: 256, machine: 'q35', firmware: 'bios', accel: 'tcg', disks: [], iso: null,
      kernel: null, nics: [], cloudInit: null, display: { vnc: true, spice: true }, template: false, description: '', createdAt: '', ...def,
    },
    state, stateReason: null, pid: state === 'running' ? 42 : null, accel: null, startedAt: null, health: null,
  };
}

const withSpice = (path = socket): VmConsoleInfo => ({ serialSocket: '/s', serialLog: '/l', vnc: null, spice: { socket: path, uri: `spice+unix://${path}` } });
const noSpice: VmConsoleInfo = { serialSocket: '/s', serialLog: '/l', vnc: null, spice: null };

function launcher(over: Partial<RemoteViewerDeps> = {}) {
  const spawned: Array<{ argv: readonly string[]; env: NodeJS.ProcessEnv; logPath: string }> = [];
  const viewer = new RemoteViewerLauncher({
    consoleInfo: async () => withSpice(),
    vmInfo: async () => vmInfo({}, 'running'),
    env: { PATH: bin, DISPLAY: ':93', ELECTRON_RUN_AS_NODE: '1', HOME: dir },
    logDir: join(dir, 'logs'),
    settleMs: 50,
    spawnViewer: async (argv, opts): Promise<SpawnedViewer> => {
      spawned.push({ argv, ...opts });
      return { pid: 4242, exited: new Promise(() => undefined) };
    },
    ...over,
  });
  return { viewer, spawned };
}

async function refusal(p: Promise<unknown>): Promise<NovaError> {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(NovaError);
  return err as NovaError;
}

describe('remote-viewer argv and environment', () => {
  it('titles the window after the VM and passes the spice+unix URI last', () => {
    expect(remoteViewerArgv('/usr/bin/remote-viewer', 'desk', 'spice+unix:///run/nova/desk/spice.sock')).toEqual([
      '/usr/bin/remote-viewer', '--title', 'desk (Nova)', 'spice+unix:///run/nova/desk/spice.sock',
    ]);
  });

  it("names a saved host's VM's host in the title, and opens the relay's local URI", () => {
    expect(remoteViewerArgv('/usr/bin/remote-viewer', 'desk', 'spice+unix:///run/user/1000/nova-spice-Ab12Cd/spice.sock', 'closet')).toEqual([
      '/usr/bin/remote-viewer', '--title', 'desk on closet (Nova)', 'spice+unix:///run/user/1000/nova-spice-Ab12Cd/spice.sock',
    ]);
  });

  it('prefers Wayland, then X11, as GTK does', () => {
    expect(sessionDisplay({ WAYLAND_DISPLAY: 'wayland-0', DISPLAY: ':0' })).toBe('wayland-0');
    expect(sessionDisplay({ DISPLAY: ':1' })).toBe(':1');
    expect(sessionDisplay({ DISPLAY: '' })).toBeNull();
  });

  it('finds executables only in absolute PATH entries', async () => {
    const path = await fakeViewer('exit 0');
    expect(await findOnPath('remote-viewer', `relative/bin:${bin}`)).toBe(path);
    expect(await findOnPath('remote-viewer', 'relative/bin:/nonexistent')).toBeNull();
  });

  it('starts the viewer with that argv, without Electron switches, and reports its pid', async () => {
    const program = await fakeViewer('exit 0');
    const { viewer, spawned } = launcher();
    await expect(viewer.open('desk')).resolves.toEqual({ pid: 4242, uri: `spice+unix://${socket}` });
    expect(spawned).toHaveLength(1);
    expect(spawned[0]!.argv).toEqual([program, '--title', 'desk (Nova)', `spice+unix://${socket}`]);
    expect(spawned[0]!.env).toMatchObject({ DISPLAY: ':93', PATH: bin });
    expect(spawned[0]!.env.ELECTRON_RUN_AS_NODE).toBeUndefined();
    expect(spawned[0]!.logPath).toBe(join(dir, 'logs', 'desk.log'));
  });
});

describe('refusals, each saying what to do', () => {
  it('a stopped VM: start it', async () => {
    await fakeViewer('exit 0');
    const { viewer, spawned } = launcher({ consoleInfo: async () => noSpice, vmInfo: async () => vmInfo({}, 'stopped') });
    const err = await refusal(viewer.open('desk'));
    expect(err.code).toBe('failed_precondition');
    expect(err.message).toBe('VM desk is stopped: start it, then open its display');
    expect(spawned).toHaveLength(0);
  });

  it('a VM without SPICE: change its display, or use VNC', async () => {
    await fakeViewer('exit 0');
    const { viewer } = launcher({ consoleInfo: async () => noSpice, vmInfo: async () => vmInfo({ display: { vnc: true, spice: false } }, 'running') });
    const err = await refusal(viewer.open('desk'));
    expect(err.code).toBe('failed_precondition');
    expect(err.message).toMatch(/VM desk has no SPICE display \(it has VNC: use Open console\): set its display to "spice" or "both"/);
  });

  it('a microvm: no graphical display at all', async () => {
    const { viewer } = launcher({ consoleInfo: async () => noSpice, vmInfo: async () => vmInfo({ machine: 'microvm' }, 'running') });
    expect((await refusal(viewer.open('desk'))).message).toMatch(/microvm, which has no graphical display: use its serial console/);
  });

  it('remote-viewer not installed: install virt-viewer', async () => {
    const { viewer, spawned } = launcher({ env: { PATH: join(dir, 'empty'), DISPLAY: ':93' } });
    const err = await refusal(viewer.open('desk'));
    expect(err.code).toBe('unsupported');
    expect(err.message).toMatch(/remote-viewer is not installed on this host: install virt-viewer \(apt install virt-viewer\)/);
    expect(err.details).toEqual({ uri: `spice+unix://${socket}` });
    expect(spawned).toHaveLength(0);
  });

  it('no graphical session: neither WAYLAND_DISPLAY nor DISPLAY', async () => {
    await fakeViewer('exit 0');
    const { viewer, spawned } = launcher({ env: { PATH: bin } });
    const err = await refusal(viewer.open('desk'));
    expect(err.code).toBe('unsupported');
    expect(err.message).toMatch(/runs without a graphical session \(neither WAYLAND_DISPLAY nor DISPLAY is set\).*start Nova from your desktop session/);
    expect(spawned).toHaveLength(0);
  });

  it('a socket that is gone: the VM stopped meanwhile', async () => {
    await fakeViewer('exit 0');
    const gone = join(dir, 'gone.sock');
    const { viewer } = launcher({ consoleInfo: async () => withSpice(gone) });
    const err = await refusal(viewer.open('desk'));
    expect(err.code).toBe('failed_precondition');
    expect(err.message).toBe(`VM desk's SPICE socket ${gone} is gone: the VM may have just stopped; start it again`);
  });

  it('a socket path that a URI cannot carry', async () => {
    const { viewer } = launcher({ consoleInfo: async () => withSpice('/run/with space/spice.sock') });
    expect((await refusal(viewer.open('desk'))).code).toBe('internal');
  });
});

describe('support', () => {
  it('is available with the program and a display', async () => {
    const program = await fakeViewer('exit 0');
    const { viewer } = launcher({ env: { PATH: bin, WAYLAND_DISPLAY: 'wayland-1' } });
    expect(await viewer.support()).toEqual({ available: true, program, display: 'wayland-1', problem: null });
  });

  it('says why not', async () => {
    const { viewer } = launcher({ env: { PATH: join(dir, 'empty'), DISPLAY: ':0' } });
    const s = await viewer.support();
    expect(s).toMatchObject({ available: false, program: null, display: ':0' });
    expect(s.problem).toMatch(/install virt-viewer/);
  });
});

describe('the real detached spawn', () => {
  it('reports a viewer that dies at once, with what it printed', async () => {
    await fakeViewer('echo "cannot open display: :93" >&2; exit 1');
    const { viewer } = launcher({ spawnViewer: undefined, settleMs: 3000 });
    const err = await refusal(viewer.open('desk'));
    expect(err.code).toBe('unavailable');
    expect(err.message).toMatch(/remote-viewer exited with code 1 right after starting for VM desk: cannot open display: :93\. Its log is .*desk\.log/);
  });

  it('leaves a viewer that stays up running, in its own session, and returns its pid', async () => {
    await fakeViewer('echo "$@"; exec /bin/sleep 30');
    const { viewer } = launcher({ spawnViewer: undefined, settleMs: 300 });
    const { pid } = await viewer.open('desk');
    pids.push(pid);
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    expect(Number(fields[3])).toBe(pid); // session id: setsid'd, so closing Nova leaves it open
    expect(await readFile(join(dir, 'logs', 'desk.log'), 'utf8')).toBe(`--title desk (Nova) spice+unix://${socket}\n`);
  });
});

describe("a saved host's VM", () => {
  it('asks that host, opens remote-viewer on a relay of its own, and closes the relay when the viewer exits', async () => {
    await fakeViewer('exit 0');
    const asked: string[] = [];
    let closed = 0;
    let exit: (v: { code: number | null; signal: NodeJS.Signals | null }) => void = () => undefined;
    const relayUri = `spice+unix://${join(dir, 'relay.sock')}`;
    const { viewer, spawned } = launcher({
      consoleInfo: async (name, host) => {
        asked.push(`${name}@${host}`);
        return withSpice('/var/lib/nova-remote/run/desk/spice.sock');
      },
      openRelay: async (host, name) => {
        asked.push(`relay ${name}@${host}`);
        return { socketPath: join(dir, 'relay.sock'), uri: relayUri, close: async () => void closed++, closed: Promise.resolve() };
      },
      spawnViewer: async (argv, opts) => {
        spawned.push({ argv, ...opts });
        return { pid: 4343, exited: new Promise((r) => (exit = r)) };
      },
    });
    const opened = await viewer.open('desk', 'closet');
    expect(opened).toEqual({ pid: 4343, uri: relayUri });
    expect(asked).toEqual(['desk@closet', 'relay desk@closet']);
    expect(spawned[0]?.argv.slice(1)).toEqual(['--title', 'desk on closet (Nova)', relayUri]);
    expect(spawned[0]?.logPath).toBe(join(dir, 'logs', 'desk@closet.log'));
    expect(closed).toBe(0);
    exit({ code: 0, signal: null });
    await expect.poll(() => closed).toBe(1);
  });

  it('is refused in words when this Nova keeps no connections to other hosts', async () => {
    await fakeViewer('exit 0');
    const { viewer, spawned } = launcher();
    const err = await refusal(viewer.open('desk', 'closet'));
    expect(err.message).toContain('cannot open the display of VM desk on closet');
    expect(spawned).toEqual([]);
  });
});

