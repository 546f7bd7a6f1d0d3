import { describe, expect, it } from 'vitest';
import { ALL_POLKIT_ACTIONS } from '../actions.js';
import { METHOD_NAME_PATTERN } from './define.js';
import { HELPER_METHOD_NAMES, METHOD_NAMES, novaApi } from './nova-api.js';

describe('the NovaApi table', () => {
  it.each(METHOD_NAMES)('%s is named group.verb', (name) => {
    expect(name).toMatch(METHOD_NAME_PATTERN);
  });

  it.each(HELPER_METHOD_NAMES)('helper method %s is guarded by a declared polkit action', (name) => {
    const served = novaApi[name].served;
    expect(served.by).toBe('helper');
    if (served.by === 'helper') expect(ALL_POLKIT_ACTIONS).toContain(served.action);
  });

  it('rejects unknown params on every method (strict schemas, as Proxmox refuses unknown properties)', () => {
    for (const name of METHOD_NAMES) {
      const r = novaApi[name].params.safeParse({ __unexpected: 1 });
      expect(r.success, name).toBe(false);
    }
  });
});
