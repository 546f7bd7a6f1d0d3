import { describe, expect, it } from 'vitest';
import { parseCidr, type Cidr } from '../../../src-shared/ip-cidr.js';
import { parseRouteBlocks, suggestSubnet } from './subnet-suggestion.js';

const blocks = (...t: string[]) => t.map((x) => parseCidr(x) as Cidr);

describe('a suggested subnet', () => {
  it('is the first /24 that overlaps nothing taken', () => {
    expect(suggestSubnet([])).toBe('10.250.0.0/24');
    expect(suggestSubnet(blocks('10.250.0.0/24', '10.250.1.7/32'))).toBe('10.250.2.0/24');
    expect(suggestSubnet(blocks('10.250.0.0/16'))).toBe('10.251.0.0/24');
    expect(suggestSubnet(blocks('10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'))).toBeNull();
  });

  it('counts unicast routes, not the default route or local ones', () => {
    const json = JSON.stringify([
      { dst: 'default', gateway: '192.0.2.1' },
      { dst: '10.250.0.0/23', dev: 'tun0' },
      { type: 'local', dst: '10.250.2.1', table: 'local' },
      { dst: '10.250.2.9', dev: 'eth1' },
    ]);
    expect(suggestSubnet(parseRouteBlocks(json))).toBe('10.250.3.0/24');
  });
});
