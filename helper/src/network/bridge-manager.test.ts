// The links a tap attachment gets: owned by the user QEMU runs as when there is one,
// root-only otherwise (records written before owners existed keep working).
import { describe, expect, it } from 'vitest';
import { NetworkSpecSchema } from '../../../src-shared/network.js';
import { planAttachmentLinks } from './bridge-manager.js';
import type { AttachmentRecord } from './network-config.js';
import { planNetwork } from './network-plan.js';

const config = planNetwork(NetworkSpecSchema.parse({ name: 'lab', profile: 'internal', subnet: '10.9.0.1/24' }), { existing: [], ifPrefix: 'nv', overlayDrivers: [] });
const tap: AttachmentRecord = { resource: 'vm1', kind: 'tap', hostIfname: 'nvt1', mac: '02:00:00:00:00:09', address: null, netns: null, guestIfname: null };
const none = { links: new Map(), netns: new Set<string>() };

describe('tap attachment links', () => {
  it("is created for the QEMU user, so a QEMU that is not root can open it", () => {
    expect(planAttachmentLinks(config, { ...tap, tapOwner: { uid: 1000, gid: 100 } }, none).host).toEqual([
      'tuntap add dev nvt1 mode tap user 1000 group 100',
      'link set dev nvt1 master lab up',
    ]);
  });

  it('is root-only without an owner, as in records from before owners existed', () => {
    for (const a of [tap, { ...tap, tapOwner: null }]) {
      expect(planAttachmentLinks(config, a, none).host[0]).toBe('tuntap add dev nvt1 mode tap');
    }
  });
});
