import { describe, expect, it } from 'vitest';
import { vmHref, vmViewFromHash } from './vm-route.js';

describe('vm routes', () => {
  it('reads the list, the wizard and a VM tab from the hash', () => {
    expect(vmViewFromHash('#/vms')).toEqual({ kind: 'list' });
    expect(vmViewFromHash('#/vms/new')).toEqual({ kind: 'create' });
    expect(vmViewFromHash('#/vms/web1')).toEqual({ kind: 'vm', name: 'web1', tab: 'overview' });
    expect(vmViewFromHash('#/vms/web1/snapshots')).toEqual({ kind: 'vm', name: 'web1', tab: 'snapshots' });
    expect(vmViewFromHash('#/vms/web1/nope')).toEqual({ kind: 'vm', name: 'web1', tab: 'overview' });
    expect(vmViewFromHash('#/vms/Bad..Name')).toEqual({ kind: 'list' });
  });

  it('writes the same hashes back', () => {
    expect(vmHref({ kind: 'vm', name: 'web1', tab: 'graphs' })).toBe('#/vms/web1/graphs');
    expect(vmHref({ kind: 'vm', name: 'web1', tab: 'overview' })).toBe('#/vms/web1');
  });
});
