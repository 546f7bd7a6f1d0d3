// QEMU as the requesting user: the real helper runs as root, the client as `nobody`
// (setpriv) with a polkit rule granting org.nova.vm.manage. Where nobody can reach the
// VM's files the QEMU runs under uid 65534, boots and answers QMP; behind a state dir
// it cannot search, QEMU runs as root and the helper logs why.
import { chmod, readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTestGuest, GUEST_READY_MARKER, type TestGuest } from './fixtures/guest-builder.js';
import { waitForLogText } from './fixtures/guest-serial.js';
import { makeTestDir, rawCall, removeTestDir, request, startHelper, type RunningHelper } from './helper-harness.js';
import { pidsMentioning } from './network-harness.js';
import { polkitAvailable, startPolkit, type PolkitHarness } from './polkit-harness.js';

const PREFIX = 'nv3a-user';
const VM = 'nv3a-user-vm';
let dir = '';
let helper: RunningHelper;
let polkit: PolkitHarness;
let guest: TestGuest;

/** One call as nobody; returns the result or throws the helper's error as `code: message`. */
async function callAsNobody(method: string, params: unknown): Promise<Record<string, unknown>> {
  const { replies, stderr } = await rawCall(helper.socketPath, [request(1, method, params)], true);
  const reply = replies[0];
  if (!reply) throw new Error(`no reply to ${method}: ${stderr}`);
  if (reply.error) {
    const e = reply.error as { data?: { code: string; message: string }; message: string };
    throw new Error(`${e.data?.code ?? 'rpc'}: ${e.data?.message ?? e.message}`);
  }
  return reply.result as Record<string, unknown>;
}

async function uidOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const m = /^Uid:\s+(\d+)\s+(\d+)/m.exec(status);
  if (!m) throw new Error(`no Uid line for pid ${pid}`);
  return Number(m[2]); // the effective uid
}

beforeAll(async () => {
  if (!polkitAvailable()) throw new Error('polkit is not installed: run .ci/bootstrap (apt-get install dbus polkitd pkexec)');
  guest = await ensureTestGuest();
  dir = await makeTestDir(PREFIX);
  polkit = await startPolkit(PREFIX);
  await polkit.allow('vm', 'org.nova.vm.manage', 'nobody');
  helper = await startHelper(dir, { extraArgs: ['--run-dir', `${dir}/run`, '--allowed-root', '/var/cache/nova-test-guest'] });
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
    await removeTestDir(dir);
  }
});

async function bootAsNobody(): Promise<number> {
  const info = await callAsNobody('vm.start', { name: VM });
  expect(info.state).toBe('running');
  const consoles = await callAsNobody('vm.consoleInfo', { name: VM });
  await waitForLogText(consoles.serialLog as string, GUEST_READY_MARKER, 60_000);
  // The helper (root) still drives it through QMP.
  const metrics = await callAsNobody('vm.metrics', { name: VM });
  expect(metrics.rssBytes).toBeGreaterThan(0);
  return info.pid as number;
}

describe('QEMU as the calling user', () => {
  it('runs as root, and logs why, when the caller cannot search the state dir', async () => {
    await callAsNobody('vm.create', {
      name: VM,
      cpus: 1,
      memory: '256Mi',
      kernel: guest.vmlinux,
      initrd: guest.initrdPlain,
      cmdline: guest.cmdline,
      display: 'vnc',
      network: 'user',
    });
    const pid = await bootAsNobody();
    const uid = await uidOf(pid);
    await callAsNobody('vm.stop', { name: VM, force: true });
    expect(uid).toBe(0);
    const line = helper.logs().split('\n').find((l) => l.includes('QEMU runs as root')) ?? '';
    expect(line).toMatch(/no search right/);
  });

  it("runs QEMU under the caller's uid once its files are reachable", async () => {
    // As an administrator would: the state dir searchable (its records stay 0600).
    await chmod(helper.stateDir, 0o711);
    const pid = await bootAsNobody();
    expect(await uidOf(pid)).toBe(65534);
    await callAsNobody('vm.stop', { name: VM, force: true });
    expect((await callAsNobody('vm.get', { name: VM })).state).toBe('stopped');
    await callAsNobody('vm.delete', { name: VM, force: true });
  });
});
