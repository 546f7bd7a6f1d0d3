import { describe, expect, it } from 'vitest';
import { assignShareTags, guestMountCommand, shareTransport, type VmShare } from './vm-shares.js';

const older: VmShare = { tag: 'share0', source: '/srv/a', target: '/mnt/a', readOnly: false };

describe('share transports', () => {
  it('keeps a staying share on what carried it (9p for older records) and carries new ones as asked', () => {
    const next = assignShareTags([older], [{ source: '/srv/a', target: '/mnt/a', readOnly: false }, { source: '/srv/b', target: '/mnt/b', readOnly: true }], 'virtiofs');
    expect(next).toEqual([
      { ...older, via: '9p' },
      { tag: 'share1', source: '/srv/b', target: '/mnt/b', readOnly: true, via: 'virtiofs' },
    ]);
  });

  it('puts every share on 9p where virtiofs cannot be had', () => {
    const kept = assignShareTags([{ ...older, via: 'virtiofs' }], [{ source: '/srv/a', target: '/mnt/a', readOnly: false }], '9p');
    expect(kept.map(shareTransport)).toEqual(['9p']);
  });

  it('tells the guest how to mount each', () => {
    expect(guestMountCommand(older)).toBe('mount -t 9p -o trans=virtio share0 /mnt/a');
    expect(guestMountCommand({ ...older, via: 'virtiofs' })).toBe('mount -t virtiofs share0 /mnt/a');
  });
});
