// A helper restart is invisible to guests: three VMs (direct kernel boot, TCG) and three
// capsules on one Nova NAT network in a test-host namespace each ping their gateway five
// times a second while the helper is restarted again and again (SIGTERM and SIGKILL in
// turn). No ping is lost (only the one in flight when ping is interrupted at the end may
// go unanswered) (bridge, taps, veths and dnsmasq stay up), every guest keeps its
// state and pid, the guests' logs keep flowing, and events reach a new subscription.
// NOVA_SOAK=1: 20 restarts; otherwise 3.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NovaEvent } from '../../src-shared/api/events.js';
import { HelperClient } from '../../src-main/core/helper-client.js';
import { makeBusyboxRootfs, removeHelperCapsuleState } from './fixtures/capsule-harness.js';
import { ensureTestGuest, GUEST_LEASE_MARKER, GUEST_PROMPT, type TestGuest } from './fixtures/guest-builder.js';
import { GuestSerial, waitForLogText, waitForShell } from './fixtures/guest-serial.js';
import { killMatching, mentioning } from './fixtures/frozen-child.js';
import { waitFor } from './fixtures/wait-for.js';
import { makeTestDir, startHelper, type RunningHelper } from './helper-harness.js';

const SOAK = process.env.NOVA_SOAK === '1';
const RESTARTS = SOAK ? 20 : 3;
const INTERVAL_S = 0.2;
const RUN = randomBytes(3).toString('hex');
const NS = `nv4gr${RUN}`;
const NET = `nv4grn${RUN}`;
const GATEWAY = '10.97.0.1';
const VMS = [1, 2, 3].map((i) => `nv4g-r${RUN}-vm${i}`);
const CAPSULES = [1, 2, 3].map((i) => `nv4g-r${RUN}-c${i}`);
const SUMMARY = /(\d+) packets transmitted, (\d+) packets received/;
/** Runs until interrupted (SIGINT), then prints its summary. */
const PING = `ping -i ${INTERVAL_S} ${GATEWAY}`;

let dir = '';
let guest: TestGuest;
let helper: RunningHelper | null = null;
let client: HelperClient | null = null;
let events: NovaEvent[] = [];

async function startNova(): Promise<HelperClient> {
  helper = await startHelper(dir, { netns: NS, extraArgs: ['--run-dir', join(dir, 'run'), '--allowed-root', dir, '--allowed-root', dirname(guest.vmlinux), '--oci-runtime', 'runc'] });
  const c = new HelperClient({ socketPath: helper.socketPath, reconnect: false });
  c.start();
  await c.waitForConnection();
  events = [];
  c.onEvent((e) => events.push(e));
  client = c;
  return c;
}

async function stopNova(signal: 'SIGTERM' | 'SIGKILL'): Promise<void> {
  client?.close();
  client = null;
  if (signal === 'SIGTERM') expect(await helper?.stop()).toBe(0);
  else await helper?.kill('SIGKILL');
  helper = null;
}

/** Every guest's state and pid, as a user listing them sees. */
async function guestStates(c: HelperClient): Promise<string[]> {
  const vms = (await c.call('vm.list', {})).vms.filter((v) => VMS.includes(v.definition.name)).map((v) => `${v.definition.name} ${v.state} ${v.pid}`);
  const capsules = (await c.call('capsule.list', {})).capsules.filter((k) => CAPSULES.includes(k.name)).map((k) => `${k.name} ${k.state} ${k.pid}`);
  return [...vms, ...capsules].sort();
}

async function serialLogOf(vm: string): Promise<string> {
  return (await client!.call('vm.consoleInfo', { name: vm })).serialLog;
}

/** The ping summary each guest printed, or null while its ping still runs. */
async function summaries(): Promise<Array<{ guest: string; sent: number; received: number } | null>> {
  const out: Array<{ guest: string; sent: number; received: number } | null> = [];
  for (const vm of VMS) {
    const m = SUMMARY.exec(await readFile(await serialLogOf(vm), 'utf8'));
    out.push(m ? { guest: vm, sent: Number(m[1]), received: Number(m[2]) } : null);
  }
  for (const name of CAPSULES) {
    const page = await client!.call('capsule.logs', { name, tail: 20 });
    const m = page.lines.map((l) => SUMMARY.exec(l.text)).find(Boolean);
    out.push(m ? { guest: name, sent: Number(m[1]), received: Number(m[2]) } : null);
  }
  return out;
}

beforeAll(async () => {
  guest = await ensureTestGuest();
  execFileSync('ip', ['netns', 'add', NS]);
  execFileSync('ip', ['-n', NS, 'link', 'set', 'lo', 'up']);
  dir = await makeTestDir(`nv4gr-${RUN}`);
  const tar = await makeBusyboxRootfs(dir);
  const c = await startNova();
  await c.call('ociImage.import', { path: tar, name: `nv4g-r${RUN}-busybox` });
  await c.call('network.create', { name: NET, profile: 'nat', subnet: `${GATEWAY}/24`, dhcpRange: { start: '10.97.0.100', end: '10.97.0.150' } });
  for (const vm of VMS) {
    await c.call('vm.create', { name: vm, memory: '192Mi', kernel: guest.vmlinux, initrd: guest.initrdNet, cmdline: guest.cmdline, accel: 'tcg', display: 'none', network: { nova: NET } });
    await c.call('vm.start', { name: vm });
  }
  for (const vm of VMS) await waitForLogText(await serialLogOf(vm), GUEST_LEASE_MARKER, 120_000);
  // The capsules ping from their start and then stay up, so their state cannot change under the test.
  for (const name of CAPSULES) {
    await c.call('capsule.create', { name, image: `nv4g-r${RUN}-busybox`, command: ['sh', '-c', `${PING}; exec sleep 100000`], network: NET });
    await c.call('capsule.start', { name });
  }
  for (const vm of VMS) {
    const serial = await GuestSerial.connect((await c.call('vm.consoleInfo', { name: vm })).serialSocket);
    try {
      await waitForShell(serial, GUEST_PROMPT);
      // The console has no size: a long command would wrap inside its own echo.
      await serial.run('stty cols 1000', GUEST_PROMPT);
      await serial.run(`${PING} &`, GUEST_PROMPT);
    } finally {
      serial.close();
    }
  }
}, 600_000);

afterAll(async () => {
  try {
    const c = client ?? (await startNova().catch(() => null));
    for (const name of CAPSULES) await c?.call('capsule.delete', { name, force: true }).catch(() => undefined);
    for (const vm of VMS) await c?.call('vm.delete', { name: vm, force: true }).catch(() => undefined);
    await c?.call('network.delete', { name: NET }).catch(() => undefined);
  } finally {
    client?.close();
    await helper?.stop();
    if (dir) await killMatching(mentioning(dir));
    if (dir) await removeHelperCapsuleState(dir, CAPSULES, [NS]);
  }
}, 120_000);

describe('helper restarts under running guests', () => {
  it(`${RESTARTS} restarts: no ping lost, states and pids unchanged, logs flowing, events resumed`, async () => {
    const before = await guestStates(client!);
    expect(before.filter((s) => / running \d+$/.test(s))).toHaveLength(6);
    const loopStarted = Date.now();
    for (let round = 1; round <= RESTARTS; round++) {
      const logSizes = await Promise.all(VMS.map(async (vm) => (await stat(await serialLogOf(vm))).size));
      const capsuleCursor = (await client!.call('capsule.logs', { name: CAPSULES[0]!, tail: 1 })).cursor;
      await stopNova(round % 2 === 1 ? 'SIGTERM' : 'SIGKILL');
      const c = await startNova();
      expect({ round, states: await guestStates(c) }).toEqual({ round, states: before });
      expect({ round, status: (await c.call('network.get', { name: NET })).status }).toEqual({ round, status: { state: 'active', reasons: [] } });
      // Logs keep flowing: the guests printed more while the helper was away and since.
      await waitFor(async () => (await Promise.all(VMS.map(async (vm, i) => (await stat(await serialLogOf(vm))).size > logSizes[i]!))).every(Boolean), 10_000, 'the VMs to print more');
      expect((await c.call('capsule.logs', { name: CAPSULES[0]!, afterSeq: capsuleCursor, waitMs: 5_000 })).lines.length).toBeGreaterThan(0);
    }
    const loopMs = Date.now() - loopStarted;
    expect(await summaries()).toEqual(Array(6).fill(null));

    // Events reach the last subscription.
    await client!.call('network.forwardAdd', { network: NET, forward: '18097:10.97.0.100:80' });
    await waitFor(() => events.find((e) => e.name === 'network.changed' && e.payload.name === NET), 5_000, 'a network.changed event');

    // SIGINT ends each ping with its summary. The ping's own lines interleave with the echo of
    // what is typed, so the command is sent, and each console stays open until the summaries
    // are in: QEMU may drop what a client wrote if it hangs up first.
    const serials = await Promise.all(VMS.map(async (vm) => GuestSerial.connect((await client!.call('vm.consoleInfo', { name: vm })).serialSocket)));
    let done: Awaited<ReturnType<typeof summaries>>;
    try {
      for (const serial of serials) await serial.send('killall -INT ping');
      for (const name of CAPSULES) await client!.call('capsule.exec', { name, command: ['killall', '-INT', 'ping'] });
      done = await waitFor(async () => {
        const all = await summaries();
        return all.every(Boolean) ? all : null;
      }, 30_000, 'every guest to print its ping summary');
    } finally {
      for (const serial of serials) serial.close();
    }
    process.stdout.write(`[nv4g] pings across ${RESTARTS} restarts in ${loopMs} ms: ${JSON.stringify(done)}\n`);
    for (const s of done) {
      // Only the one echo request in flight at the interrupt may be unanswered; the pings
      // ran before the first restart and after the last, so they covered every one.
      expect({ ...s!, unanswered: s!.sent - s!.received <= 1, covered: s!.sent * INTERVAL_S * 1000 >= loopMs }).toEqual({ ...s!, unanswered: true, covered: true });
    }
  }, 900_000);
});
