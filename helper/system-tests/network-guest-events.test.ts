// The topology view stays current: through the real helper, a network.create is an
// operation whose steps reach the client, and a capsule (a real runc container) joining
// a Nova network when it starts, and leaving it when it stops, makes the helper send
// network.changed for that network, though no network.* method was called.
// The helper runs in a namespace this test makes, joined with nsenter (as capsule tests do).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HelperClient } from '../../src-main/core/helper-client.js';
import type { NovaEvent } from '../../src-shared/index.js';
import { makeBusyboxRootfs, removeHelperCapsuleState } from './fixtures/capsule-harness.js';
import { waitFor } from './fixtures/wait-for.js';
import { makeTestDir, startHelper, type RunningHelper } from './helper-harness.js';

const RUN = randomBytes(3).toString('hex');
const NS = `nv8n${RUN}`;
const NET = `nv8ne${RUN}`;
const IMAGE = `nv8n-${RUN}-busybox`;
const CAPSULE = `nv8n-${RUN}-a`;
let dir = '';
let helper: RunningHelper | null = null;
let client: HelperClient;
const events: NovaEvent[] = [];

/** network.changed events for NET from index `from` on. */
const changedSince = (from: number) => events.slice(from).filter((e) => e.name === 'network.changed' && e.payload.name === NET);

beforeAll(async () => {
  execFileSync('ip', ['netns', 'add', NS]);
  execFileSync('ip', ['-n', NS, 'link', 'set', 'lo', 'up']);
  dir = await makeTestDir(`nv8n-${RUN}`);
  const tar = await makeBusyboxRootfs(dir);
  helper = await startHelper(dir, { netns: NS, extraArgs: ['--run-dir', join(dir, 'run'), '--allowed-root', dir, '--oci-runtime', 'runc'] });
  client = new HelperClient({ socketPath: helper.socketPath, reconnect: false });
  client.onEvent((e) => events.push(e));
  client.start();
  await client.waitForConnection();
  await client.call('ociImage.import', { path: tar, name: IMAGE });
}, 120_000);

afterAll(async () => {
  try {
    await client?.call('capsule.delete', { name: CAPSULE, force: true }).catch(() => undefined);
    await client?.call('network.delete', { name: NET }).catch(() => undefined);
  } finally {
    client?.close();
    await helper?.stop();
    if (dir) await removeHelperCapsuleState(dir, [CAPSULE], [NS]);
  }
}, 60_000);

describe('network events from the engine, through the real helper', () => {
  it('runs network.create as an operation whose steps reach the client, then announces the network', async () => {
    const mark = events.length;
    let opId = '';
    const net = await client.call('network.create', { name: NET, subnet: '10.86.0.1/24' }, { onOperation: (id) => (opId = id) });
    expect(net.status.state).toBe('active');
    expect(opId).toMatch(/^[0-9a-f]{8,}$/);
    const steps = events
      .slice(mark)
      .flatMap((e) => (e.name === 'operation.changed' && e.payload.id === opId ? [e.payload.progress.phase] : []));
    expect([...new Set(steps)]).toEqual(['starting', 'checking the host', 'creating the bridge', 'firewall rules', 'starting dnsmasq', 'done']);
    expect(await client.call('operation.get', { id: opId })).toMatchObject({ kind: 'network.create', resource: { kind: 'network', name: NET }, state: 'succeeded', owner: { uid: 0 } });
    await waitFor(() => changedSince(mark).length > 0, 10_000, 'network.changed after the create');
  }, 60_000);

  it('sends network.changed when a capsule joins the network as it starts, and again when it stops', async () => {
    await client.call('capsule.create', { name: CAPSULE, image: IMAGE, command: ['sleep', '300'], network: NET });
    const beforeStart = events.length;
    const started = await client.call('capsule.start', { name: CAPSULE });
    expect(started.network?.address).toMatch(/^10\.86\.0\.\d+\/24$/);
    await waitFor(() => changedSince(beforeStart).length > 0, 10_000, 'network.changed as the capsule joined');
    expect((await client.call('network.get', { name: NET })).attachments.map((a) => [a.resource, a.present])).toEqual([[CAPSULE, true]]);

    const beforeStop = events.length;
    await client.call('capsule.stop', { name: CAPSULE, timeoutSec: 2 });
    await waitFor(() => changedSince(beforeStop).length > 0, 10_000, 'network.changed as the capsule left');
    expect((await client.call('network.get', { name: NET })).attachments).toEqual([]);
  }, 120_000);
});
