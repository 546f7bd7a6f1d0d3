// kill -9 of the helper at each step of a VM start (a VM on a Nova network): the helper is
// launched with NOVA_TEST_PAUSE_AT, stops at the step, says so in a file, and is killed
// there. The next helper must report the VM `stopped` when the start had not got past
// `cont` (its QEMU killed, its tap gone) and `running` when it had, never let two QEMUs run
// for it, start and stop it cleanly afterwards, and leave no tap or nft rule after delete.
// A runtime record damaged while the VM runs is rebuilt from its QEMU and the VM adopted.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HelperClient } from '../../src-main/core/helper-client.js';
import { attachmentIfname } from '../src/network/interface-names.js';
import { ensureTestGuest, type TestGuest } from './fixtures/guest-builder.js';
import { killMatching, mentioning, processesMatching } from './fixtures/frozen-child.js';
import { clearPauseSignal, pausedStart } from './fixtures/paused-start.js';
import { waitFor } from './fixtures/wait-for.js';
import { CLI_BUNDLE, makeTestDir, removeTestDir, startHelper, type RunningHelper } from './helper-harness.js';

const RUN = randomBytes(3).toString('hex');
const NETNS = `nv4s${RUN}`;
const NET = `nv4sn${RUN}`;
const vmName = (label: string) => `nv4s-${RUN}-${label}`;
let dir = '';
let helper: RunningHelper | null = null;
let client: HelperClient | null = null;
let guest: TestGuest;
const made: string[] = [];

async function start(pauseAt?: string): Promise<void> {
  const env: Record<string, string> = pauseAt ? { NOVA_TEST_HOOKS: '1', NOVA_TEST_PAUSE_AT: pauseAt, NOVA_TEST_PAUSE_SIGNAL: join(dir, 'paused') } : {};
  helper = await startHelper(dir, { netns: NETNS, env, extraArgs: ['--run-dir', `${dir}/run`, '--allowed-root', '/var/cache/nova-test-guest'] });
  client = new HelperClient({ socketPath: helper.socketPath, reconnect: false });
  client.start();
  await client.waitForConnection();
}

async function killHelper(): Promise<void> {
  client?.close();
  await helper?.kill('SIGKILL');
  client = null;
}

function c(): HelperClient {
  if (!client) throw new Error('no helper');
  return client;
}

beforeAll(async () => {
  guest = await ensureTestGuest();
  dir = await makeTestDir('nv4s-vmc');
  execFileSync('ip', ['netns', 'add', NETNS]);
  execFileSync('ip', ['-n', NETNS, 'link', 'set', 'lo', 'up']);
  await start();
  await c().call('network.create', { name: NET, profile: 'nat', subnet: '10.234.0.1/24', dhcpRange: { start: '10.234.0.100', end: '10.234.0.150' } });
}, 600_000);

afterAll(async () => {
  try {
    if (!client) await start().catch(() => undefined);
    for (const vm of made) await client?.call('vm.delete', { name: vm, force: true }).catch(() => undefined);
    await client?.call('network.delete', { name: NET }).catch(() => undefined);
  } finally {
    client?.close();
    await helper?.stop();
    if (dir) await killMatching(mentioning(dir));
    spawnSync('ip', ['netns', 'delete', NETNS]);
    if (dir) await removeTestDir(dir);
  }
});

/** The living QEMUs of this VM: its process name and this test's dir on their command line. */
async function qemusOf(name: string): Promise<number[]> {
  return processesMatching((argv, pid) => mentioning(dir)(argv, pid) && argv.some((a) => a.includes(`process=nova-vm-${name},`)));
}

/** Whether the VM's tap (its name derived from the network and the VM, as the helper names it) exists in the test host. */
function tapExists(name: string): boolean {
  return spawnSync('ip', ['-n', NETNS, 'link', 'show', 'dev', attachmentIfname('nv', NET, name)], { timeout: 5_000 }).status === 0;
}

function nftRuleset(): string {
  return execFileSync('ip', ['netns', 'exec', NETNS, 'nft', 'list', 'ruleset'], { encoding: 'utf8' });
}

function cli(...args: string[]) {
  return spawnSync(process.execPath, [CLI_BUNDLE, '--socket', helper!.socketPath, '--no-autostart', ...args], { encoding: 'utf8', timeout: 120_000 });
}

async function createVm(label: string): Promise<string> {
  const name = vmName(label);
  made.push(name);
  await c().call('vm.create', { name, memory: '192Mi', kernel: guest.vmlinux, initrd: guest.initrdNet, cmdline: guest.cmdline, accel: 'tcg', display: 'none', network: { nova: NET } });
  return name;
}

/** Starts the VM under a helper paused at `step`, waits for the pause, and kills the helper there. */
async function killDuringStart(name: string, step: string, atPause: () => Promise<void>): Promise<void> {
  await killHelper();
  await clearPauseSignal(join(dir, 'paused'));
  await start(step);
  const { pending } = await pausedStart(join(dir, 'paused'), step, helper!.process.pid, () => c().call('vm.start', { name }));
  await atPause();
  await killHelper();
  await pending;
  await start();
}

/** After the crash: start works and gives one QEMU, stop leaves none and no tap, delete leaves no trace. */
async function startStopDelete(name: string): Promise<void> {
  const started = cli('vm', 'start', name);
  expect(started.status, started.stderr).toBe(0);
  expect((await c().call('vm.get', { name })).state).toBe('running');
  expect(await qemusOf(name)).toHaveLength(1);
  expect(tapExists(name)).toBe(true);
  await c().call('vm.stop', { name, force: true });
  await waitFor(async () => (await qemusOf(name)).length === 0, 10_000, `the QEMU of ${name} to end`);
  expect(tapExists(name)).toBe(false);
  await c().call('vm.delete', { name });
  expect(tapExists(name)).toBe(false);
  expect(nftRuleset()).not.toContain(name);
  expect((await c().call('network.get', { name: NET })).attachments.map((a) => a.resource)).not.toContain(name);
}

describe('kill -9 of the helper during a VM start', () => {
  it('after the tap exists: the VM is stopped, no QEMU, the tap given back', async () => {
    const name = await createVm('tap');
    await killDuringStart(name, 'vm-start:after-tap', async () => {
      expect(tapExists(name)).toBe(true);
      expect(await qemusOf(name)).toEqual([]);
    });
    expect((await c().call('vm.get', { name })).state).toBe('stopped');
    expect(await qemusOf(name)).toEqual([]);
    expect(tapExists(name)).toBe(false);
    await startStopDelete(name);
  }, 300_000);

  it('after QEMU is spawned paused, before any runtime record: its QEMU is found by its command line and killed', async () => {
    const name = await createVm('spawn');
    await killDuringStart(name, 'vm-start:after-spawn', async () => {
      expect(await qemusOf(name)).toHaveLength(1);
    });
    expect(existsSync(join(helper!.stateDir, 'vms', `${name}.runtime.json`))).toBe(false);
    expect((await c().call('vm.get', { name })).state).toBe('stopped');
    await waitFor(async () => (await qemusOf(name)).length === 0, 10_000, `the QEMU of ${name} to be gone`);
    expect(tapExists(name)).toBe(false);
    await startStopDelete(name);
  }, 300_000);

  it('after cont: the VM is running, adopted, one QEMU; a second start is refused', async () => {
    const name = await createVm('cont');
    await killDuringStart(name, 'vm-start:after-cont', async () => {
      expect(await qemusOf(name)).toHaveLength(1);
    });
    const info = await c().call('vm.get', { name });
    expect(info.state).toBe('running');
    expect(await qemusOf(name)).toEqual([info.pid]);
    await expect(c().call('vm.start', { name })).rejects.toMatchObject({ code: 'failed_precondition' });
    expect(await qemusOf(name)).toEqual([info.pid]);
    await c().call('vm.stop', { name, force: true });
    await waitFor(async () => (await qemusOf(name)).length === 0, 10_000, `the QEMU of ${name} to end`);
    expect(tapExists(name)).toBe(false);
    await startStopDelete(name);
  }, 300_000);
});

/** Waits for recovery (it runs in the background once the helper answers) to settle the VM in `state`. */
async function stateOf(name: string, state: string, timeoutMs: number) {
  return waitFor(
    async () => {
      const got = await c().call('vm.get', { name });
      return got.state === state ? got : null;
    },
    timeoutMs,
    `${name} to be ${state}`,
  ).catch(async (err: unknown) => {
    throw new Error(`${String(err)}; vm.get says ${JSON.stringify(await c().call('vm.get', { name }))}`);
  });
}

describe('a damaged runtime record of a running VM', () => {
  it('costs the guest nothing: the record is rebuilt from its QEMU, the VM adopted with the same pid, the damaged file kept aside', async () => {
    const name = await createVm('rec');
    await c().call('vm.start', { name });
    const first = await qemusOf(name);
    expect(first).toHaveLength(1);
    await killHelper();
    const vms = join(dir, 'state', 'vms');
    const damaged = '{"version":1,"pid":';
    await writeFile(join(vms, `${name}.runtime.json`), damaged);
    await start();
    const info = await stateOf(name, 'running', 30_000);
    expect(info.pid).toBe(first[0]);
    expect(await qemusOf(name)).toEqual(first);
    expect(tapExists(name)).toBe(true);
    const kept = (await readdir(vms)).filter((f) => f.startsWith(`${name}.runtime.json.damaged-`));
    expect(kept).toHaveLength(1);
    expect(await readFile(join(vms, kept[0]!), 'utf8')).toBe(damaged);
    expect(JSON.parse(await readFile(join(vms, `${name}.runtime.json`), 'utf8'))).toMatchObject({ pid: first[0], accel: 'tcg', taps: [expect.objectContaining({ network: NET, index: 0 })] });
    // The monitor is the adopted QEMU's: pause and resume go through QMP.
    await c().call('vm.pause', { name });
    expect((await c().call('vm.get', { name })).state).toBe('paused');
    await c().call('vm.resume', { name });
    expect((await c().call('vm.get', { name })).state).toBe('running');
    await c().call('vm.stop', { name, force: true });
    await waitFor(async () => (await qemusOf(name)).length === 0, 10_000, `the QEMU of ${name} to end`);
    expect((await c().call('vm.get', { name })).state).toBe('stopped');
    expect(tapExists(name)).toBe(false);
    expect(nftRuleset()).not.toContain(name);
    await startStopDelete(name);
  }, 300_000);

  it('when the rebuild is not safe (its QMP does not answer), stops the QEMU and says why: crashed, the damaged file kept', async () => {
    const name = await createVm('unsafe');
    await c().call('vm.start', { name });
    const [pid] = await qemusOf(name);
    expect(pid).toBeDefined();
    await killHelper();
    const vms = join(dir, 'state', 'vms');
    await writeFile(join(vms, `${name}.runtime.json`), '{"version":1,"pid":');
    // A frozen QEMU never greets on its monitor: the helper cannot control it, so it must not adopt it.
    process.kill(pid!, 'SIGSTOP');
    try {
      await start();
      const info = await stateOf(name, 'crashed', 60_000);
      expect(info.stateReason).toMatch(/runtime record was damaged .* could not be rebuilt safely: QMP unreachable/);
      expect(await qemusOf(name)).toEqual([]);
      expect(tapExists(name)).toBe(false);
      expect((await readdir(vms)).filter((f) => f.startsWith(`${name}.runtime.json.damaged-`))).toHaveLength(1);
    } finally {
      try {
        process.kill(pid!, 'SIGKILL');
      } catch {
        // killed by the helper, as it should be
      }
    }
    await startStopDelete(name);
  }, 300_000);
});
