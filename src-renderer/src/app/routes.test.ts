import { describe, expect, it } from 'vitest';
import { routeFromHash, routeHref } from './routes.js';

describe('routes', () => {
  it('reads the page from the hash and falls back to the Dashboard', () => {
    expect(routeFromHash('#/vms')).toBe('vms');
    expect(routeFromHash('#/networks/extra')).toBe('networks');
    expect(routeFromHash('')).toBe('dashboard');
    expect(routeFromHash('#/nope')).toBe('dashboard');
    expect(routeFromHash('#main')).toBe('dashboard');
    expect(routeFromHash('#/host')).toBe('host');
  });

  it('round-trips every href', () => {
    for (const id of ['dashboard', 'host', 'hosts', 'projects', 'vms', 'capsules', 'images', 'networks', 'devices'] as const) {
      expect(routeFromHash(routeHref(id))).toBe(id);
    }
  });
});
