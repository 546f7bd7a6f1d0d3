// Golden transcripts of every command the network engine runs: argv and stdin, built by
// the same pure functions the engine's steps call, for a create, a guest joining and a
// delete of each kind of network. Review a diff in golden/*.cmds like code.
import { describe, expect, it } from 'vitest';
import type { NetworkSpecInput } from '../../../src-shared/network.js';
import { deleteLinksLines, linkPlanCommands, planAttachmentLinks, planNetworkLinks, teardownLines, type LinkContext } from './bridge-manager.js';
import { dnsmasqPaths } from './dnsmasq-config.js';
import type { HostLink } from './host-links.js';
import { attachmentIfname, stableMac } from './interface-names.js';
import type { AttachmentRecord, NetworkConfig } from './network-config.js';
import {
  addWireguardLink,
  applyRuleset,
  enableIpv4Forwarding,
  fdbBatch,
  forcedLinkBatch,
  formatCommand,
  linkBatch,
  listLinks,
  listListeningSockets,
  listNetns,
  listRoutes,
  listTable,
  startDnsmasq,
  startWireguardGo,
  wgGenkey,
  wgPubkey,
  wgSetconf,
  type NetworkCommand,
} from './network-commands.js';
import { needsDnsmasq } from './network-config.js';
import { renderRuleset } from './nft-ruleset.js';
import { HYPERV0_SPEC, planned, wireguardOverlay } from './testing/planned-networks.js';
import { vxlanInTunnelLines, wireguardAddressLines } from './wireguard-plan.js';

const TABLE = 'nova';
const RUN_DIR = '/run/nova/networks';

const config = (input: NetworkSpecInput) => planned(input);

function uplink(ifname: string): HostLink {
  return { ifname, kind: null, master: null, up: true, mtu: 1500, mac: '52:54:00:12:34:56', addresses: [] };
}

function host(...links: HostLink[]): LinkContext {
  return { links: new Map(links.map((l) => [l.ifname, l])), netns: new Set(['nova-web']) };
}

/** What a create runs on a host with these links, step by step, as network-create.ts orders them. */
function createTranscript(c: NetworkConfig, ctx: LinkContext): NetworkCommand[] {
  const cmds = linkPlanCommands(planNetworkLinks(c, [], ctx));
  if (c.profile === 'nat') cmds.push(enableIpv4Forwarding());
  cmds.push(applyRuleset(renderRuleset([c], TABLE)));
  if (needsDnsmasq(c)) cmds.push(startDnsmasq(dnsmasqPaths(`${RUN_DIR}/${c.name}`)));
  return cmds;
}

function guest(c: NetworkConfig, a: Omit<AttachmentRecord, 'hostIfname' | 'mac'>): AttachmentRecord {
  return { ...a, hostIfname: attachmentIfname('nv', c.name, a.resource), mac: stableMac(c.name, a.resource) };
}

function transcript(sections: Record<string, NetworkCommand[]>): string {
  return Object.entries(sections)
    .map(([title, cmds]) => `# ${title}\n${cmds.map(formatCommand).join('')}`)
    .join('\n');
}

const hyperv0 = config(HYPERV0_SPEC);

describe('network commands (golden)', () => {
  it('NAT: create, a capsule and a VM joining, delete', async () => {
    const web = guest(hyperv0, { resource: 'web', kind: 'veth', address: '192.168.220.10/24', netns: 'nova-web', guestIfname: 'eth0' });
    const vm = guest(hyperv0, { resource: 'vm1', kind: 'tap', address: null, netns: null, guestIfname: null, tapOwner: { uid: 1000, gid: 1000 } });
    const bridge: HostLink = { ...uplink('hyperv0'), kind: 'bridge', addresses: [{ family: 4, local: '192.168.220.1', prefix: 24 }] };
    const withBridge = host(uplink('enp6s0'), bridge);
    const text = transcript({
      create: createTranscript(hyperv0, host(uplink('enp6s0'))),
      'capsule web joins': linkPlanCommands(planAttachmentLinks(hyperv0, web, withBridge)),
      'VM vm1 joins': linkPlanCommands(planAttachmentLinks(hyperv0, vm, withBridge)),
      delete: [forcedLinkBatch(teardownLines(hyperv0, [web, vm])), applyRuleset(renderRuleset([], TABLE))],
    });
    await expect(text).toMatchFileSnapshot('golden/nat-hyperv0.cmds');
  });

  it('external: the uplink becomes a port of the bridge, and no dnsmasq runs', async () => {
    const lan = config({ name: 'lan0', profile: 'external', uplinks: ['eno1'] });
    const text = transcript({ create: createTranscript(lan, host(uplink('eno1'))), delete: [forcedLinkBatch(teardownLines(lan, []))] });
    await expect(text).toMatchFileSnapshot('golden/external-lan0.cmds');
  });

  it('VXLAN overlay: the device on the bridge, and a flood entry per peer', async () => {
    const ovl = config({ name: 'ovl', type: 'overlay', vni: 42, subnet: '10.42.0.1/24', peers: [{ host: '192.0.2.10' }, { host: '192.0.2.11', port: 4790 }], uplinks: ['eth1'] });
    const text = transcript({ create: createTranscript(ovl, host(uplink('eth1'))), delete: [forcedLinkBatch(teardownLines(ovl, []))] });
    await expect(text).toMatchFileSnapshot('golden/overlay-ovl.cmds');
  });

  it('WireGuard overlay: keys, the tunnel (kernel or wireguard-go), its address, VXLAN inside it', async () => {
    const wg = wireguardOverlay();
    const o = wg.overlay;
    const tunnel = o?.wireguard;
    if (!o || !tunnel) throw new Error('no tunnel planned');
    const vx = vxlanInTunnelLines(o.device, o.vni, o.port, o.mtu ?? tunnel.mtu, tunnel);
    const text = transcript({
      keys: [wgGenkey(), wgPubkey('ePYcqnqHeNbRqGNbI6qV0NvzWZyl7SxW1IG6n6LOBFM=')],
      tunnel: [
        addWireguardLink(tunnel.interface),
        startWireguardGo(tunnel.interface),
        wgSetconf(tunnel.interface, '/var/lib/nova/networks/.wgl.wg-conf'),
        linkBatch(wireguardAddressLines(tunnel), `cannot address WireGuard interface ${tunnel.interface}`),
        linkBatch(vx.host),
        fdbBatch(vx.fdb, 'cannot add the overlay peers'),
      ],
      create: createTranscript(wg, host(uplink('eth1'), { ...uplink(o.device), kind: 'vxlan' })),
      delete: [forcedLinkBatch(teardownLines(wg, [])), forcedLinkBatch(deleteLinksLines([o.device, tunnel.interface]))],
    });
    await expect(text).toMatchFileSnapshot('golden/wireguard-wgl.cmds');
  });

  it('what the engine reads: links, namespaces, its table, listening ports', async () => {
    await expect(transcript({ queries: [listLinks(), listNetns(), listRoutes(), listTable(TABLE), listListeningSockets()] })).toMatchFileSnapshot('golden/queries.cmds');
  });
});

describe('formatCommand', () => {
  it('shows the argv on one line and stdin indented beneath it', () => {
    expect(formatCommand(linkBatch(['link set dev a up', 'link set dev b up']))).toBe('$ ip -batch -\n    link set dev a up\n    link set dev b up\n');
    expect(formatCommand(listLinks())).toBe('$ ip -json -details addr show\n');
  });

  it('never puts a private key in an argv', () => {
    const key = 'ePYcqnqHeNbRqGNbI6qV0NvzWZyl7SxW1IG6n6LOBFM=';
    expect(wgPubkey(key).argv.join(' ')).not.toContain(key);
  });
});
