// Golden pairs of network configs and the nftables script Nova applies for them (as
// Proxmox keeps for QEMU command lines). Review a diff in golden/ like code.
import { describe, expect, it } from 'vitest';
import type { NetworkSpecInput } from '../../../src-shared/network.js';
import { egressMatch, renderRuleset, vxlanGuardRule } from './nft-ruleset.js';
import { HYPERV0_SPEC, planned, wireguardOverlay } from './testing/planned-networks.js';

const config = (input: NetworkSpecInput) => planned(input);
const hyperv0 = config(HYPERV0_SPEC);
const lab = config({
  name: 'lab',
  subnet: '10.203.0.1/24',
  forwards: [
    { hostPort: 8080, guestAddress: '10.203.0.10', guestPort: 80 },
    { hostPort: 5353, guestAddress: '10.203.0.11', guestPort: 53, protocol: 'udp' },
  ],
  egressAllow: [
    { destination: '192.0.2.0/24', ports: null, protocol: null },
    { destination: '198.51.100.7/32', ports: { from: 443, to: 443 }, protocol: 'tcp' },
    { destination: null, ports: { from: 53, to: 53 }, protocol: null },
    { destination: null, ports: { from: 8000, to: 8100 }, protocol: 'udp' },
  ],
});
const lan = config({ name: 'lan0', profile: 'external', uplinks: ['eno1'] });
const iso = config({ name: 'iso', profile: 'internal', subnet: '10.9.0.1/24', dhcpRange: { start: '10.9.0.100', end: '10.9.0.200' } });
const ovl = config({ name: 'ovl', type: 'overlay', vni: 42, peers: [{ host: '192.0.2.10' }], uplinks: ['eth1'] });
const wg = wireguardOverlay();

describe('renderRuleset (golden)', () => {
  it('removes the table when there are no networks', () => {
    expect(renderRuleset([], 'nova')).toBe('add table inet nova\ndelete table inet nova\n');
  });
  it('the product example: NAT with masquerade out of its uplink only', async () => {
    await expect(renderRuleset([hyperv0])).toMatchFileSnapshot('golden/nat-hyperv0.nft');
  });
  it('forwards and an egress allow-list', async () => {
    await expect(renderRuleset([lab])).toMatchFileSnapshot('golden/nat-forwards-egress.nft');
  });
  it('every profile side by side: isolation between all Nova bridges', async () => {
    await expect(renderRuleset([hyperv0, lab, lan, iso, ovl])).toMatchFileSnapshot('golden/all-profiles.nft');
  });
  it('a wireguard overlay takes VXLAN with its VNI only from its own tunnel', async () => {
    await expect(renderRuleset([hyperv0, ovl, wg])).toMatchFileSnapshot('golden/wireguard-overlay.nft');
  });
  it('is the same whatever order the networks come in', () => {
    expect(renderRuleset([ovl, iso, lan, lab, hyperv0])).toBe(renderRuleset([hyperv0, lab, lan, iso, ovl]));
  });
  it('uses the table name it is given and no other', () => {
    const text = renderRuleset([hyperv0, lab], 'nv4nova');
    const tables = [...text.matchAll(/table inet (\S+)/g)].map((m) => m[1]);
    expect(new Set(tables)).toEqual(new Set(['nv4nova']));
  });
});

describe('deleting a network removes exactly its rules', () => {
  it('leaves every other chain as it was and drops only lab\'s chains, jumps and set element', () => {
    const all = chainsOf(renderRuleset([hyperv0, lab, lan, iso, ovl]));
    const without = chainsOf(renderRuleset([hyperv0, lan, iso, ovl]));
    expect([...all.keys()].filter((c) => !without.has(c))).toEqual(['net-lab-out', 'net-lab-in', 'net-lab-host', 'net-lab-dnat', 'net-lab-snat']);
    for (const [name, body] of without) {
      const before = all.get(name) ?? [];
      const gone = before.filter((l) => !body.includes(l));
      expect(body.every((l) => before.includes(l)), name).toBe(true);
      for (const line of gone) expect(line).toMatch(/net-lab-|"lab"/);
    }
  });
});

describe('the VXLAN guard of a wireguard overlay', () => {
  it('drops its VNI on UDP 4789 from anywhere but its WireGuard device, and only for wireguard overlays', () => {
    const dev = wg.overlay?.wireguard?.interface ?? '';
    expect(dev).toMatch(/^nvg[0-9a-f]{8}$/);
    expect(vxlanGuardRule(wg)).toBe(`iifname != "${dev}" udp dport 4789 @th,96,24 4343 counter drop`);
    expect(vxlanGuardRule(ovl)).toBeNull();
    expect(vxlanGuardRule(hyperv0)).toBeNull();
    const input = (chainsOf(renderRuleset([hyperv0, ovl, wg])).get('input') ?? []).map((l) => l.trim());
    expect(input.filter((l) => l.includes('udp dport 4789'))).toEqual([`iifname != "${dev}" udp dport 4789 @th,96,24 4343 counter drop`]);
  });

  it('goes with its network and leaves the others as they were', () => {
    const all = chainsOf(renderRuleset([hyperv0, ovl, wg]));
    const without = chainsOf(renderRuleset([hyperv0, ovl]));
    expect(all.get('input')?.filter((l) => !(without.get('input') ?? []).includes(l)).map((l) => l.trim())).toEqual([vxlanGuardRule(wg)]);
    expect([...all.keys()].filter((c) => !without.has(c))).toEqual(['net-wgl-out', 'net-wgl-in']);
  });
});

/** Chain (and set) name -> its lines, from a rendered script. */
function chainsOf(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let current: string[] | null = null;
  for (const line of text.split('\n')) {
    const head = /^\t(?:chain|set) (\S+) \{$/.exec(line);
    if (head?.[1]) out.set(head[1], (current = []));
    else if (line === '\t}') current = null;
    else if (current) current.push(...(line.includes('elements') ? line.replace(/.*\{ | \}$/g, '').split(', ').map((e) => `element ${e}`) : [line]));
  }
  return out;
}

describe('egressMatch', () => {
  it.each([
    [{ destination: '10.0.0.0/8', ports: null, protocol: null }, 'ip daddr 10.0.0.0/8'],
    [{ destination: 'fd00::/8', ports: { from: 443, to: 443 }, protocol: null }, 'ip6 daddr fd00::/8 meta l4proto { tcp, udp } th dport 443'],
    [{ destination: null, ports: { from: 8000, to: 8100 }, protocol: 'tcp' }, 'tcp dport 8000-8100'],
    [{ destination: null, ports: null, protocol: 'udp' }, 'meta l4proto udp'],
  ] as const)('%j -> %s', (rule, text) => {
    expect(egressMatch(rule)).toBe(text);
  });
});
