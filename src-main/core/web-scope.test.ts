import { describe, expect, it } from 'vitest';
import { HELPER_METHOD_NAMES, methodDef, VIEW_ACTIONS } from '../../src-shared/index.js';
import { scopeAllows, scopeNeeded } from './web-scope.js';

describe('web token scopes', () => {
  it('lets a view token read and refuses it every change', () => {
    for (const m of ['vm.list', 'vm.get', 'capsule.list', 'network.list', 'events.subscribe', 'app.info']) expect(scopeAllows('view', m), m).toBe(true);
    for (const m of ['vm.start', 'vm.delete', 'capsule.create', 'network.delete', 'device.bind', 'vm.consoleEndpoint', 'project.up', 'hosts.add']) {
      expect(scopeAllows('view', m), m).toBe(false);
      expect(scopeAllows('manage', m), m).toBe(true);
    }
  });

  it('follows the polkit action of every helper method, not a list of its own', () => {
    for (const m of HELPER_METHOD_NAMES) {
      const served = methodDef(m).served;
      expect(scopeNeeded(m), m).toBe(served.action && VIEW_ACTIONS.includes(served.action) ? 'view' : 'manage');
    }
  });

  it('needs manage for a name that is no method', () => {
    expect(scopeNeeded('vm.nothing')).toBe('manage');
    expect(scopeNeeded('__proto__.x')).toBe('manage');
  });
});
