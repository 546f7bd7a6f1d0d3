import { describe, expect, it } from 'vitest';
import { buildNovaBridge } from './nova-bridge.js';

// Pinned on purpose: adding a method to window.nova must be a deliberate change here.
const PINNED_SURFACE = {
  app: ['info'],
  capsule: ['adopt', 'create', 'delete', 'exec', 'get', 'list', 'logs', 'metrics', 'metricsHistory', 'move', 'moveCancel', 'moveComplete', 'moveDiscard', 'moveFinish', 'moveIncoming', 'moveOffer', 'moveSend', 'pause', 'restart', 'resume', 'snapshotCreate', 'snapshotDelete', 'snapshotList', 'snapshotPolicyGet', 'snapshotPolicyList', 'snapshotPolicySet', 'snapshotPrune', 'snapshotRestore', 'start', 'stop', 'terminalOpen', 'update'],
  device: ['bind', 'bindPreview', 'bindingList', 'check', 'get', 'list', 'restore', 'sriovSet'],
  events: ['subscribe'],
  helper: ['info', 'ping'],
  host: ['check', 'metricsHistory'],
  hosts: ['add', 'connection', 'list', 'probe', 'remove'],
  image: ['detectOs', 'import', 'list', 'remove'],
  network: ['adopt', 'attach', 'create', 'delete', 'detach', 'forwardAdd', 'forwardList', 'forwardRemove', 'get', 'leases', 'list', 'repair', 'setPeers', 'suggestSubnet', 'update'],
  novafile: ['validate'],
  ociImage: ['import', 'inspect', 'list', 'pull', 'remove'],
  operation: ['cancel', 'get', 'list'],
  project: ['cancel', 'demo', 'down', 'export', 'open', 'plan', 'ps', 'save', 'up', 'writeBack'],
  subscribe: 'function',
  vm: ['adopt', 'clone', 'consoleEndpoint', 'consoleInfo', 'create', 'delete', 'get', 'list', 'logs', 'metrics', 'metricsHistory', 'migrateComplete', 'migrateDiscard', 'migrateFinish', 'migrateIncoming', 'migrateOffer', 'migrateSend', 'move', 'moveCancel', 'moveComplete', 'moveDiscard', 'moveFinish', 'moveIncoming', 'moveOffer', 'moveSend', 'openViewer', 'pause', 'reboot', 'resume', 'setTemplate', 'showCommand', 'snapshotCreate', 'snapshotDelete', 'snapshotList', 'snapshotPolicyGet', 'snapshotPolicyList', 'snapshotPolicySet', 'snapshotPrune', 'snapshotRestore', 'start', 'stop', 'suspend', 'update', 'usbAttach', 'usbDetach', 'usbList', 'viewerSupport'],
};

function surfaceOf(bridge: object): Record<string, string[] | string> {
  const out: Record<string, string[] | string> = {};
  for (const [k, v] of Object.entries(bridge)) {
    out[k] = typeof v === 'function' ? 'function' : Object.keys(v as object).sort();
  }
  return out;
}

describe('window.nova', () => {
  it('exposes exactly the pinned methods and nothing else', () => {
    const bridge = buildNovaBridge(async () => undefined, () => () => undefined);
    expect(surfaceOf(bridge)).toEqual(PINNED_SURFACE);
  });

  it('sends each method on its own channel with its params', async () => {
    const calls: Array<[string, unknown]> = [];
    const bridge = buildNovaBridge(async (channel, params) => {
      calls.push([channel, params]);
      return { ok: true, value: null };
    }, () => () => undefined);
    await bridge.host.check({ refresh: true });
    await bridge.app.info();
    expect(calls).toEqual([
      ['nova:call:host.check', { refresh: true }],
      ['nova:call:app.info', {}],
    ]);
  });

  it('is frozen, so page scripts cannot swap a method', () => {
    const bridge = buildNovaBridge(async () => undefined, () => () => undefined);
    expect(Object.isFrozen(bridge)).toBe(true);
  });
});
