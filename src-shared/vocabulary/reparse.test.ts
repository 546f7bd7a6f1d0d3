// Main checks a call's params and forwards what its schema parsed; the helper checks them
// again. So a parsed value must read back as itself: text in, the typed object out, and
// that object in, the same object out.
import { describe, expect, it } from 'vitest';
import { novaApi } from '../api/nova-api.js';

const KEY = 'xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=';

describe('params parsed at one boundary pass the next one unchanged', () => {
  it.each<[keyof typeof novaApi, Record<string, unknown>]>([
    ['vm.create', { name: 'web', memory: '2GiB', diskSize: '10g', network: 'nova:lab', cloudInit: { hostname: 'Web-1', sshAuthorizedKeys: [' ssh-ed25519 AAAA me '] } }],
    ['vm.update', { name: 'web', memory: 2048 }],
    [
      'capsule.create',
      { name: 'api', image: 'alpine:3.20', memory: '512', volumes: ['/srv//a/:/a:ro'], ports: ['8080:80/udp'], restart: 'on-failure:2', workdir: '/srv//app/', hostname: 'API' },
    ],
    [
      'network.create',
      {
        name: 'lan',
        subnet: '10.0.0.1/24',
        dhcpRange: '10.0.0.100 - 10.0.0.199',
        forwards: ['8080:10.0.0.5:80'],
        egressAllow: ['10.0.0.0/8:443/tcp', '53/udp'],
        domain: 'Lab.Example.',
      },
    ],
    ['network.setPeers', { name: 'ov', peers: [`${KEY}@[FD00::2]:51820`, 'Peer.LAN'] }],
    ['network.forwardAdd', { network: 'lan', forward: '2222:[fd00::10]:22' }],
  ])('%s', (method, input) => {
    const schema = novaApi[method].params;
    const once = schema.parse(input);
    expect(schema.parse(once)).toEqual(once);
  });

  it('folds a capsule memory size into memoryBytes', () => {
    expect(novaApi['capsule.create'].params.parse({ name: 'api', image: 'alpine', memory: '512' })).toMatchObject({ memoryBytes: 512 * 1024 * 1024 });
    expect(novaApi['capsule.create'].params.safeParse({ name: 'api', image: 'alpine', memory: '512', memoryBytes: 1 << 30 }).success).toBe(false);
  });
});
