// Recovery: a VmManager process killed with SIGKILL while two VMs run; a new manager
// over the same state dir reattaches to both (pid + start time + cmdline), controls and
// stops them, and reports a VM whose QEMU died meanwhile as crashed, with a reason.
import { spawn } from 'node:child_process';
import { copyFile, readdir, readFile, readlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GUEST_PROMPT, GUEST_READY_MARKER } from './fixtures/guest-builder.js';
import { GuestSerial, waitForLogText } from './fixtures/guest-serial.js';
import { processGone, startVmTestRun, type VmTestRun } from './fixtures/guest-vm-harness.js';
import { vmSpec } from './fixtures/contract-params.js';

let run: VmTestRun;
let managerPid: number | undefined;

beforeAll(async () => {
  run = await startVmTestRun();
});

afterAll(async () => {
  if (managerPid) {
    try {
      process.kill(managerPid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await run?.cleanup();
});

async function startManagerProcess(names: string[]): Promise<number> {
  const bundle = join(run.dir, 'manager.mjs');
  await build({
    entryPoints: [join(import.meta.dirname, 'fixtures/guest-manager-process.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile: bundle,
    logLevel: 'silent',
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  });
  // The manager checks who holds each QMP socket (SO_PEERCRED): its addon sits beside the bundle, as in out/helper.
  await copyFile(join(import.meta.dirname, '../native/peercred/build/Release/peercred.node'), join(run.dir, 'peercred.node'));
  const child = spawn(process.execPath, [bundle, run.stateDir, join(run.dir, 'run'), [run.dir, dirname(run.guest.vmlinux)].join(':'), ...names], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`manager process did not start the VMs in 60 s: ${out}`)), 60_000);
    const check = () => out.includes('STARTED') && (clearTimeout(t), resolve());
    child.stdout.on('data', check);
    child.once('exit', (code) => (clearTimeout(t), reject(new Error(`manager process exited ${code}: ${out}`))));
  });
  return child.pid!;
}

/** What each of a process's descriptors names. */
async function readlinksOf(pid: number): Promise<string[]> {
  const fds = await readdir(`/proc/${pid}/fd`);
  return Promise.all(fds.map((fd) => readlink(`/proc/${pid}/fd/${fd}`).catch(() => '')));
}

describe('recovery after the manager is killed with SIGKILL', () => {
  it('reattaches to both running VMs, controls and stops them; a killed QEMU is crashed', async () => {
    const setup = await run.manager();
    const spec = (name: string) => ({ name, memory: '192Mi', kernel: run.guest.vmlinux, initrd: run.guest.initrdAcpi, cmdline: run.guest.cmdline, display: 'vnc' as const });
    // a has a disk, which its QEMU got as a descriptor in an fd set.
    await setup.create(vmSpec({ ...spec('nv3-rec-a'), diskSize: '32Mi' }));
    await setup.create(vmSpec(spec('nv3-rec-b')));
    await setup.create(vmSpec(spec('nv3-rec-c')));

    managerPid = await startManagerProcess(['nv3-rec-a', 'nv3-rec-b', 'nv3-rec-c']);
    process.kill(managerPid, 'SIGKILL');
    managerPid = undefined;

    // QEMU of c dies while no manager watches it.
    const recC = JSON.parse(await readFile(join(run.stateDir, 'vms/nv3-rec-c.runtime.json'), 'utf8')) as { pid: number };
    process.kill(recC.pid, 'SIGKILL');

    const vms = await run.manager();
    const a = await vms.get('nv3-rec-a');
    const b = await vms.get('nv3-rec-b');
    expect([a.state, b.state]).toEqual(['running', 'running']);
    expect(a.pid).toBeGreaterThan(0);
    const c = await vms.get('nv3-rec-c');
    expect(c.state).toBe('crashed');
    expect(c.stateReason).toMatch(/was gone when the helper started/);

    // Controlled again: a serial round trip, pause through QMP, and a clean graceful stop.
    await waitForLogText((await vms.consoleInfo('nv3-rec-a')).serialLog, GUEST_READY_MARKER, 60_000);
    await waitForLogText((await vms.consoleInfo('nv3-rec-b')).serialLog, GUEST_READY_MARKER, 60_000);
    const serial = await GuestSerial.connect((await vms.consoleInfo('nv3-rec-a')).serialSocket);
    try {
      await serial.run('true', GUEST_PROMPT, 20_000);
      expect(await serial.run('echo alive', GUEST_PROMPT)).toBe('alive');
    } finally {
      serial.close();
    }
    expect((await vms.pause('nv3-rec-b')).state).toBe('paused');
    // The disk QEMU got as a descriptor still serves after the monitor was dropped and taken
    // up again: a snapshot with memory is written into it, and listed from it.
    expect(await readlinksOf(a.pid!)).toContain(join(run.stateDir, 'vms/nv3-rec-a/disk0.qcow2'));
    expect((await vms.snapshotCreate('nv3-rec-a', 'after-recovery')).withMemory).toBe(true);
    expect((await vms.snapshotList('nv3-rec-a')).snapshots.map((s) => s.name)).toEqual(['after-recovery']);
    expect((await vms.consoleInfo('nv3-rec-a')).vnc?.password).toHaveLength(8);

    await expect(vms.stop('nv3-rec-a')).resolves.toEqual({ graceful: true });
    await expect(vms.stop('nv3-rec-b', { timeoutMs: 20_000 })).resolves.toEqual({ graceful: true });
    expect((await vms.get('nv3-rec-a')).state).toBe('stopped');
    expect((await vms.get('nv3-rec-b')).state).toBe('stopped');
    // Reparented QEMUs may linger as zombies until this machine's init reaps them.
    expect(await processGone(a.pid!)).toBe(true);
    expect(await processGone(b.pid!)).toBe(true);

    // A crashed VM is cleared by stop and starts again.
    await vms.stop('nv3-rec-c');
    expect((await vms.get('nv3-rec-c')).state).toBe('stopped');
  });

  it('reports a VM whose QEMU is killed under a live manager as crashed, with the signal', async () => {
    const vms = await run.manager();
    await vms.create(vmSpec({ name: 'nv3-rec-d', memory: '128Mi', kernel: run.guest.vmlinux, initrd: run.guest.initrdPlain, cmdline: 'panic=-1', display: 'none' }));
    const d = await vms.start('nv3-rec-d');
    process.kill(d.pid!, 'SIGKILL');
    await expect.poll(async () => (await vms.get('nv3-rec-d')).state, { timeout: 10_000 }).toBe('crashed');
    expect((await vms.get('nv3-rec-d')).stateReason).toMatch(/killed by SIGKILL/);
    expect(run.events.filter((e) => e.name === 'nv3-rec-d').map((e) => e.state)).toEqual(['starting', 'running', 'crashed']);
  });
});
