// Which polkit action guards each helper method, method by method: a method whose
// verb reads (list, get, inspect, logs, metrics, ...) is its kind's view, every other
// is its kind's manage, and the few exceptions are named here with their reason.
import { describe, expect, it } from 'vitest';
import { POLKIT_ACTIONS, VIEW_ACTIONS, type PolkitAction } from '../actions.js';
import { HELPER_METHOD_NAMES, novaApi } from './nova-api.js';

/** The resource kind each method group belongs to, and that kind's two actions. */
const KIND_OF_GROUP: Record<string, { view: PolkitAction; manage: PolkitAction | null }> = {
  vm: { view: POLKIT_ACTIONS.vmView, manage: POLKIT_ACTIONS.vmManage },
  image: { view: POLKIT_ACTIONS.vmView, manage: POLKIT_ACTIONS.vmManage },
  capsule: { view: POLKIT_ACTIONS.capsuleView, manage: POLKIT_ACTIONS.capsuleManage },
  ociImage: { view: POLKIT_ACTIONS.capsuleView, manage: POLKIT_ACTIONS.capsuleManage },
  network: { view: POLKIT_ACTIONS.networkView, manage: POLKIT_ACTIONS.networkManage },
  // Host devices are the host's to see; giving one to a guest is an administrator's decision each time.
  device: { view: POLKIT_ACTIONS.hostInspect, manage: POLKIT_ACTIONS.devicePassthrough },
  // The host, the helper itself, operations and events span every kind: one view, no manage.
  host: { view: POLKIT_ACTIONS.hostInspect, manage: null },
  helper: { view: POLKIT_ACTIONS.hostInspect, manage: null },
  operation: { view: POLKIT_ACTIONS.hostInspect, manage: null },
  events: { view: POLKIT_ACTIONS.hostInspect, manage: null },
};

const READ_VERB = /^(list|get|inspect|logs|metrics|metricsHistory|leases|check|info)$|List$|Get$/;

/** Methods whose verb does not read like a read but are views, and why. */
const VIEW_EXCEPTIONS: Record<string, string> = {
  'helper.ping': 'echoes its payload: a liveness check that reads nothing',
  'network.suggestSubnet': 'reads the host addresses, routes and networks the Networks page shows anyway, to offer a free block; changes nothing',
  'events.subscribe': 'hears the state changes every view could fetch: authorized as a view of the host',
  'vm.showCommand': 'prints the command line the next start would run; nothing is made or changed',
  'device.bindPreview': 'simulates a bind on a model of the group; the host is only read (Apply is device.bind)',
  'operation.cancel':
    'the owner cancels their own operation under the view gate; anyone else is checked in the handler for the manage action of the resource',
};

function expectedAction(name: string): PolkitAction {
  const [group = '', verb = ''] = name.split('.');
  const kind = KIND_OF_GROUP[group];
  if (!kind) throw new Error(`${name}: no resource kind for the group "${group}"`);
  if (READ_VERB.test(verb) || name in VIEW_EXCEPTIONS) return kind.view;
  if (!kind.manage) throw new Error(`${name} changes something but its group "${group}" has no manage action`);
  return kind.manage;
}

describe('the polkit action of every helper method', () => {
  it.each(HELPER_METHOD_NAMES)('%s has exactly the action its verb calls for', (name) => {
    const served = novaApi[name].served;
    expect(served.by).toBe('helper');
    if (served.by !== 'helper') return;
    expect(typeof served.action).toBe('string');
    expect(served.action).toBe(expectedAction(name));
  });

  it('keeps the console, exec and terminals under manage: they hand over the guest', () => {
    for (const name of ['vm.consoleInfo', 'capsule.exec', 'capsule.terminalOpen'] as const) {
      const served = novaApi[name].served;
      expect(VIEW_ACTIONS).not.toContain(served.action);
    }
  });

  it('lets a user with views only list every kind and subscribe to events', () => {
    for (const name of ['vm.list', 'capsule.list', 'network.list', 'events.subscribe', 'operation.list', 'host.check'] as const) {
      expect(VIEW_ACTIONS).toContain(novaApi[name].served.action);
    }
  });

  it('names only exceptions that exist', () => {
    for (const name of Object.keys(VIEW_EXCEPTIONS)) expect(HELPER_METHOD_NAMES).toContain(name);
  });
});
