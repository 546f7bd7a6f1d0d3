// A VM whose monitor accepts the connection and then says nothing never holds up
// anything else: with a real VM running beside it (real QEMU, TCG), vm.list, vm.get and
// the real VM's metrics answer at once and the metrics sampler keeps sampling it, while
// the silent VM's own calls fail with `timeout`, naming the VM and the QMP command. The
// silent monitors come from a stand-in for QEMU (fixtures/silent-qmp.mjs) that the VM
// engine starts in place of QEMU for VMs named nv8v-fake-*: one never greets, one
// greets and answers nothing, one answers the handshake and nothing after it.
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VmMetrics } from '../../src-shared/vm.js';
import type { VmManager } from '../src/vm/vm-manager.js';
import { GUEST_READY_MARKER } from './fixtures/guest-builder.js';
import { waitForLogText } from './fixtures/guest-serial.js';
import { commandOf, killMatching, processesMatching } from './fixtures/frozen-child.js';
import { startVmTestRun, type VmTestRun } from './fixtures/guest-vm-harness.js';
import { vmSpec } from './fixtures/contract-params.js';

const REAL = 'nv8v-real';
const HUSH = 'nv8v-fake-hush';
const QMP_TIMEOUT_MS = 1500;
/** What "at once" means here, on a loaded 2-core machine: far below any QMP deadline. */
const PROMPT_MS = 500;

let run: VmTestRun;
let vms: VmManager;
const samples: VmMetrics[] = [];
let stopSampling: () => void = () => undefined;

/** The silent stand-ins for QEMU whose arguments mention `text`. */
const silentStandIns = (text: string) => commandOf(process.execPath, 'silent-qmp.mjs', text);

/** Runs `call` and says how long it took. */
async function timed<T>(call: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const t0 = performance.now();
  const value = await call();
  return { value, ms: performance.now() - t0 };
}

/** vm.list, vm.get of both and the real VM's metrics, each answering at once. */
async function othersAnswerPromptly(): Promise<void> {
  const list = await timed(() => vms.list());
  expect(list.value.map((v) => v.definition.name)).toContain(REAL);
  const get = await timed(() => vms.get(REAL));
  expect(get.value.state).toBe('running');
  const metrics = await timed(() => vms.metrics(REAL));
  expect(metrics.value.name).toBe(REAL);
  expect([list.ms, get.ms, metrics.ms].every((ms) => ms < PROMPT_MS), `list ${list.ms} ms, get ${get.ms} ms, metrics ${metrics.ms} ms`).toBe(true);
}

beforeAll(async () => {
  run = await startVmTestRun('nv8v');
  // In place of QEMU: the silent stand-in for nv8v-fake-* VMs, the real QEMU for the others.
  const wrapper = join(run.dir, 'qemu-or-silent');
  const standIn = join(import.meta.dirname, 'fixtures/silent-qmp.mjs');
  await writeFile(wrapper, `#!/bin/sh\ncase "$*" in *process=nova-vm-nv8v-fake-*) exec '${process.execPath}' '${standIn}' "$@";; esac\nexec qemu-system-x86_64 "$@"\n`);
  await chmod(wrapper, 0o755);
  vms = await run.manager({ qemuBinary: wrapper, qmpTimeoutMs: QMP_TIMEOUT_MS });
  await vms.create(vmSpec({ name: REAL, memory: '192Mi', kernel: run.guest.vmlinux, initrd: run.guest.initrdPlain, cmdline: run.guest.cmdline, display: 'none' }));
  for (const name of [HUSH, 'nv8v-fake-greet', 'nv8v-fake-mute']) await vms.create(vmSpec({ name, memory: '128Mi', display: 'none' }));
  await vms.start(REAL);
  await waitForLogText((await vms.consoleInfo(REAL)).serialLog, GUEST_READY_MARKER, 60_000);
  stopSampling = vms.startSampling((m) => samples.push(m), 200);
}, 300_000);

afterAll(async () => {
  stopSampling();
  if (run) await killMatching(silentStandIns(run.stateDir));
  await run?.cleanup();
});

describe('a VM whose monitor goes silent after the handshake', () => {
  it('runs, and fails its own calls with timeout naming the command, while the other VM answers at once and is sampled', async () => {
    expect((await vms.start(HUSH)).state).toBe('running');
    const sampledBefore = samples.filter((s) => s.name === REAL).length;

    // Its own calls wait out their deadline; the others answer meanwhile.
    const metrics = vms.metrics(HUSH);
    const pause = vms.pause(HUSH);
    metrics.catch(() => undefined);
    pause.catch(() => undefined);
    await othersAnswerPromptly();
    expect((await timed(() => vms.get(HUSH))).ms).toBeLessThan(PROMPT_MS);
    await expect(metrics).rejects.toMatchObject({ code: 'timeout', message: `VM ${HUSH}: QMP query-blockstats did not answer within 2000 ms` });
    await expect(pause).rejects.toMatchObject({ code: 'timeout', message: `VM ${HUSH}: QMP stop did not answer within ${QMP_TIMEOUT_MS} ms` });
    await othersAnswerPromptly();

    // Over those two seconds the sampler went on sampling the real VM, at its own pace.
    const real = samples.filter((s) => s.name === REAL).length - sampledBefore;
    expect(real).toBeGreaterThanOrEqual(5);
    expect(samples.filter((s) => s.name === HUSH)).toEqual([]);
  });

  it('is still stopped by force: quit times out, QEMU is killed', async () => {
    const stop = await timed(() => vms.stop(HUSH, { force: true }));
    expect(stop.value).toEqual({ graceful: false });
    expect(stop.ms).toBeLessThan(6_000); // quit's 3 s deadline, then SIGKILL at once
    expect((await vms.get(HUSH)).state).toBe('stopped');
    expect(await processesMatching(silentStandIns(`process=nova-vm-${HUSH}`))).toEqual([]);
  });
});

describe('a VM whose monitor never finishes the handshake', () => {
  it.each([
    ['nv8v-fake-greet', /QMP qmp_capabilities did not answer within 1500 ms/],
    ['nv8v-fake-mute', /QMP at \S+ sent no greeting within 1500 ms/],
  ])('%s fails to start with timeout, bounded, while the other VM answers at once', async (name, said) => {
    const t0 = Date.now();
    const start = vms.start(name);
    start.catch(() => undefined);
    await othersAnswerPromptly();
    await expect(start).rejects.toMatchObject({ code: 'timeout', message: expect.stringMatching(said) });
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect((await vms.get(name)).state).toBe('stopped');
    expect(await processesMatching(silentStandIns(`process=nova-vm-${name}`))).toEqual([]);
    await othersAnswerPromptly();
  });
});
