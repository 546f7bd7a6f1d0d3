// Capsules on a Nova network through the real helper: two capsules on one NAT network ping
// each other by name (NAME.NETWORK.nova), a published port answers from the test's host
// namespace, metrics count veth bytes, and a stop gives back the veth, namespace and forward.
// The helper runs in a namespace this test makes, joined with nsenter (not `ip netns exec`,
// which remounts /sys and hides the cgroups runc needs).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HelperClient } from '../../src-main/core/helper-client.js';
import { makeBusyboxRootfs, removeHelperCapsuleState } from './fixtures/capsule-harness.js';
import { waitFor } from './fixtures/wait-for.js';
import { makeTestDir, startHelper, type RunningHelper } from './helper-harness.js';

const RUN = randomBytes(3).toString('hex');
const NS = `nv5n${RUN}`;
const NET = `nv5n${RUN}`;
const GATEWAY = '10.95.71.1';
const C = (label: string) => `nv5n-${RUN}-${label}`;
const made: string[] = [];
let dir = '';
let helper: RunningHelper | null = null;
let client: HelperClient;

function inNs(argv: string[], timeoutMs = 10_000): string {
  // A clean environment: a proxy set for the test run must not carry these requests off.
  return execFileSync('nsenter', [`--net=/run/netns/${NS}`, ...argv], { encoding: 'utf8', timeout: timeoutMs, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
}

beforeAll(async () => {
  execFileSync('ip', ['netns', 'add', NS]);
  execFileSync('ip', ['-n', NS, 'link', 'set', 'lo', 'up']);
  dir = await makeTestDir(`nv5n-${RUN}`);
  const tar = await makeBusyboxRootfs(dir);
  helper = await startHelper(dir, { netns: NS, extraArgs: ['--run-dir', join(dir, 'run'), '--allowed-root', dir, '--oci-runtime', 'runc'] });
  client = new HelperClient({ socketPath: helper.socketPath, reconnect: false });
  client.start();
  await client.waitForConnection();
  await client.call('ociImage.import', { path: tar, name: `nv5n-${RUN}-busybox` });
  await client.call('network.create', { name: NET, subnet: `${GATEWAY}/24` });
}, 120_000);

afterAll(async () => {
  try {
    for (const name of made) await client?.call('capsule.delete', { name, force: true }).catch(() => undefined);
    await client?.call('network.delete', { name: NET }).catch(() => undefined);
  } finally {
    client?.close();
    await helper?.stop();
    if (dir) await removeHelperCapsuleState(dir, made, [NS]);
  }
}, 60_000);

describe('capsules on a Nova network', () => {
  it('resolves and pings a peer by name, publishes a port, counts bytes and cleans up on stop', async () => {
    const image = `nv5n-${RUN}-busybox`;
    const a = C('a');
    const b = C('b');
    made.push(a, b);
    await client.call('capsule.create', { name: a, image, command: ['sleep', '300'], network: NET });
    await client.call('capsule.create', {
      name: b,
      image,
      command: ['sh', '-c', 'echo hello-nv5n > /tmp/index.html && exec httpd -f -p 8080 -h /tmp'],
      network: NET,
      ports: [{ hostPort: 18095, guestPort: 8080 }],
    });
    const ca = await client.call('capsule.start', { name: a });
    const cb = await client.call('capsule.start', { name: b });
    expect(ca.network?.hostname).toBe(`${a}.${NET}.nova`);
    expect(cb.network?.address).toMatch(/^10\.95\.71\.\d+\/24$/);
    expect(existsSync(`/run/netns/nova-${b}`)).toBe(true);
    // Mapped where the host allows: then its user namespace (owning the network one) is kept too.
    expect(existsSync(`/run/nova/userns/nova-${b}`)).toBe(cb.userNamespace?.enabled === true);

    const ping = await client.call('capsule.exec', { name: a, command: ['ping', '-c1', '-W3', `${b}.${NET}.nova`] });
    expect(ping.stdout + ping.stderr).toContain(cb.network?.address.split('/')[0]);
    expect(ping.exitCode).toBe(0);

    // From the test's host namespace, through the forward on the host's own address.
    const page = await waitFor(async () => {
      try {
        return inNs(['curl', '-sS', '--noproxy', '*', '--max-time', '2', `http://${GATEWAY}:18095/index.html`]);
      } catch {
        return null;
      }
    }, 10_000, 'the published port');
    expect(page.trim()).toBe('hello-nv5n');
    const { forwards } = await client.call('network.forwardList', { network: NET });
    expect(forwards).toEqual([{ hostPort: 18095, guestAddress: cb.network?.address.split('/')[0], guestPort: 8080, protocol: 'tcp' }]);

    const m = await client.call('capsule.metrics', { name: b });
    expect(m.netRxBytes).toBeGreaterThan(0);
    expect(m.netTxBytes).toBeGreaterThan(0);

    const stopped = await client.call('capsule.stop', { name: b, timeoutSec: 2 });
    expect(stopped.network).toBeNull();
    expect((await client.call('network.forwardList', { network: NET })).forwards).toEqual([]);
    const net = await client.call('network.get', { name: NET });
    expect(net.attachments.map((x) => x.resource)).toEqual([a]);
    expect(existsSync(`/run/netns/nova-${b}`)).toBe(false);
    expect(existsSync(`/run/nova/userns/nova-${b}`)).toBe(false);

    await client.call('capsule.delete', { name: a, force: true });
    expect((await client.call('network.get', { name: NET })).attachments).toEqual([]);
    expect(existsSync(`/run/netns/nova-${a}`)).toBe(false);
  }, 120_000);

  it('refuses ports without a network, and an unknown network, before anything is made', async () => {
    const image = `nv5n-${RUN}-busybox`;
    await expect(client.call('capsule.create', { name: C('x'), image, command: ['true'], ports: [{ hostPort: 18096, guestPort: 80 }] })).rejects.toMatchObject({
      code: 'invalid_argument',
    });
    await expect(client.call('capsule.create', { name: C('y'), image, command: ['true'], network: 'nv5nnonet' })).rejects.toMatchObject({ code: 'not_found' });
    const { capsules } = await client.call('capsule.list', {});
    expect(capsules.map((c) => c.name)).not.toContain(C('x'));
    expect(capsules.map((c) => c.name)).not.toContain(C('y'));
  }, 30_000);
});
