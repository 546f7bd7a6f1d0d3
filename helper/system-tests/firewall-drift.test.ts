// Firewall drift: with a guest on a NAT network and a port forward in use, Nova's nftables
// table is deleted from outside (`nft delete table`, as a firewall reload does). `nova net
// repair` puts it back, and so does the helper's periodic check on its own; either way the
// same forward reaches the same guest address again. The helper runs in a test-host
// namespace; a client namespace stands for the LAN, a veth guest namespace for a capsule.
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HelperClient } from '../../src-main/core/helper-client.js';
import { CLI_BUNDLE, makeTestDir, removeTestDir, startHelper, type RunningHelper } from './helper-harness.js';
import { NetnsLab } from './network-harness.js';

const GUEST = '10.77.0.20';
const HOST_LAN = '198.51.100.1';
const CLIENT_LAN = '198.51.100.2';
const HOST_PORT = 18080;
let lab: NetnsLab;
let host = '';
let lan = '';
let guest = '';
let dir = '';
let helper: RunningHelper | null = null;
let client: HelperClient | null = null;
const NET = () => lab.name('net');

async function startNova(checkIntervalMs: number): Promise<void> {
  helper = await startHelper(dir, { netns: host, extraArgs: ['--run-dir', `${dir}/run`, '--firewall-check-interval', String(checkIntervalMs)] });
  client = new HelperClient({ socketPath: helper.socketPath, reconnect: false });
  client.start();
  await client.waitForConnection();
}

async function stopNova(): Promise<void> {
  client?.close();
  client = null;
  await helper?.stop();
  helper = null;
}

function nova(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const socket = helper?.socketPath ?? '';
    execFile(process.execPath, [CLI_BUNDLE, '--socket', socket, '--no-autostart', ...args], { timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr });
    });
  });
}

/** What the guest's server saw us as, through the forward on the host's LAN address. */
const throughForward = () => lab.tcpConnect(lan, HOST_LAN, HOST_PORT);

async function deleteNovaTable(): Promise<void> {
  const r = await lab.exec(host, ['nft', 'delete', 'table', 'inet', 'nova']);
  expect(r.exitCode, r.stderr).toBe(0);
}

async function waitFor(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

beforeAll(async () => {
  lab = await NetnsLab.create('fw', 'nv4g');
  dir = await makeTestDir('nv4gfw');
  host = await lab.netns('h');
  lan = await lab.netns('c');
  guest = await lab.netns('g');
  await lab.veth({ ns: host, ifname: lab.name('lan'), address: `${HOST_LAN}/24` }, { ns: lan, ifname: lab.name('lanc'), address: `${CLIENT_LAN}/24` });
  await startNova(0);
  await client?.call('network.create', { name: NET(), profile: 'nat', subnet: '10.77.0.1/24' });
  await client?.call('network.attach', { network: NET(), resource: 'web', kind: 'veth', netns: guest, address: `${GUEST}/24` });
  await lab.tcpServer(guest, 8080);
  await client?.call('network.forwardAdd', { network: NET(), forward: { hostPort: HOST_PORT, guestAddress: GUEST, guestPort: 8080, protocol: 'tcp' } });
}, 120_000);

afterAll(async () => {
  try {
    await client?.call('network.delete', { name: NET() }).catch(() => undefined);
  } finally {
    await stopNova();
    await lab?.cleanup();
    if (dir) await removeTestDir(dir);
  }
});

describe('firewall drift', () => {
  it('nova net repair puts the deleted table back and the forward works again', async () => {
    expect(await throughForward()).toBe(CLIENT_LAN);
    expect(await lab.pingWithin(guest, '10.77.0.1')).toBe(true);

    await deleteNovaTable();
    expect(await throughForward()).not.toBe(CLIENT_LAN);
    const broken = await nova(['net', 'inspect', NET(), '--json']);
    expect(JSON.parse(broken.stdout).status).toEqual({ state: 'degraded', reasons: ['its nftables rules are missing'] });

    const repaired = await nova(['net', 'repair']);
    expect(repaired).toMatchObject({ code: 0, stdout: `Repaired ${NET()}\n` });
    expect(await throughForward()).toBe(CLIENT_LAN);
    const whole = await nova(['net', 'inspect', NET(), '--json']);
    expect(JSON.parse(whole.stdout)).toMatchObject({ status: { state: 'active', reasons: [] }, forwards: [{ hostPort: HOST_PORT, guestAddress: GUEST, guestPort: 8080 }] });
    // Nothing missing now: a second repair says so and changes nothing.
    expect(await nova(['net', 'repair', NET()])).toMatchObject({ code: 0, stdout: `Nothing was missing (${NET()})\n` });
    expect(await nova(['net', 'repair', lab.name('nonet')])).toMatchObject({ code: 1, stderr: expect.stringContaining('does not exist') });
  }, 120_000);

  it("the helper's periodic check puts it back on its own", async () => {
    await stopNova();
    await startNova(300);
    expect(await throughForward()).toBe(CLIENT_LAN);
    await deleteNovaTable();
    expect(await waitFor(async () => (await throughForward()) === CLIENT_LAN, 15_000)).toBe(true);
    expect(helper?.logs()).toContain("Nova's nftables rules were removed from outside");
    expect((await client?.call('network.get', { name: NET() }))?.status.state).toBe('active');
  }, 120_000);
});
