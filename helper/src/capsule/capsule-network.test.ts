// The pure parts of capsule networking: picking a capsule's static address, reading veth
// counters from /proc/net/dev, and the `host:guest[/udp]` port syntax.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePublishedPort } from '../../../src-shared/capsule.js';
import { pickCapsuleAddress, readVethCounters } from './capsule-network.js';

describe('pickCapsuleAddress', () => {
  it('is stable per seed and never the gateway, network or broadcast address', () => {
    const a = pickCapsuleAddress('10.1.2.1/24', 'web', new Set());
    expect(a).toBe(pickCapsuleAddress('10.1.2.1/24', 'web', new Set()));
    expect(a).toMatch(/^10\.1\.2\.\d+\/24$/);
    for (let i = 0; i < 200; i++) {
      const ip = pickCapsuleAddress('10.1.2.1/24', `c${i}`, new Set())?.split('/')[0];
      expect(['10.1.2.0', '10.1.2.1', '10.1.2.255']).not.toContain(ip);
    }
  });

  it('skips taken addresses and reports a full subnet', () => {
    expect(pickCapsuleAddress('10.1.2.1/30', 'x', new Set())).toBe('10.1.2.2/30');
    expect(pickCapsuleAddress('10.1.2.1/30', 'x', new Set(['10.1.2.2']))).toBeNull();
    const taken = new Set<string>();
    for (let i = 0; i < 253; i++) {
      const ip = pickCapsuleAddress('10.1.2.1/24', 'same', taken);
      expect(ip).not.toBeNull();
      taken.add(ip?.split('/')[0] ?? '');
    }
    expect(taken.size).toBe(253);
    expect(pickCapsuleAddress('10.1.2.1/24', 'same', taken)).toBeNull();
  });
});

describe('readVethCounters', () => {
  it('reads the host end and reports bytes from the capsule side', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nv5n-dev-'));
    try {
      const file = join(dir, 'dev');
      await writeFile(
        file,
        'Inter-|   Receive                                                |  Transmit\n' +
          ' face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n' +
          '    lo:     100       1    0    0    0     0          0         0      100       1    0    0    0     0       0          0\n' +
          'nva1234: 500 5 0 0 0 0 0 0 700 7 0 0 0 0 0 0\n',
      );
      expect(await readVethCounters('nva1234', file)).toEqual({ rxBytes: 700, txBytes: 500 });
      expect(await readVethCounters('nvnope', file)).toBeNull();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('parsePublishedPort', () => {
  it('takes host:guest with an optional protocol', () => {
    expect(parsePublishedPort('8080:80')).toEqual({ hostPort: 8080, guestPort: 80, protocol: 'tcp' });
    expect(parsePublishedPort('5353:53/udp')).toEqual({ hostPort: 5353, guestPort: 53, protocol: 'udp' });
    for (const bad of ['80', '0:80', '70000:80', '80:80/sctp', 'a:b']) expect(parsePublishedPort(bad)).toBeNull();
  });
});
