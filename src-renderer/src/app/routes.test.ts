import { describe, expect, it } from 'vitest';
import { routeFromHash, routeHref } from './routes.js';

describe('routes', () => {
  it('reads the page from the hash and falls back to Host', () => {
    expect(routeFromHash('#/vms')).toBe('vms');
    expect(routeFromHash('#/networks/extra')).toBe('networks');
    expect(routeFromHash('')).toBe('host');
    expect(routeFromHash('#/nope')).toBe('host');
    expect(routeFromHash('#main')).toBe('host');
  });

  it('round-trips every href', () => {
    for (const id of ['host', 'projects', 'vms', 'capsules', 'images', 'networks', 'devices'] as const) {
      expect(routeFromHash(routeHref(id))).toBe(id);
    }
  });
});
