import { describe, expect, it } from 'vitest';
import { parseName } from '../../../src-shared/vocabulary/resource-name.js';
import { defaultCapsuleSnapshotName, formatCapsuleSnapshots } from './capsule-snapshot-command.js';

describe('capsule snapshot CLI words', () => {
  it('names a snapshot by default with a name the capsule rule accepts', () => {
    const name = defaultCapsuleSnapshotName(new Date('2026-12-06T17:04:05.123Z'));
    expect(name).toBe('snap-2026-12-06t17-04-05-123z');
    expect(parseName('capsule-snapshot', name).ok).toBe(true);
  });

  it('lists snapshots in columns, with their size and notes', () => {
    const text = formatCapsuleSnapshots([
      { name: 'first', createdAt: '2026-12-06T17:00:00Z', sizeBytes: 2048, kind: 'archive', keepForever: true },
      { name: 'nightly', createdAt: '2026-12-06T18:00:00Z', sizeBytes: null, kind: 'btrfs', scheduled: true },
    ]);
    expect(text.split('\n')[0]).toMatch(/^NAME\s+KIND\s+SIZE\s+CREATED$/);
    expect(text).toMatch(/^first\s+archive\s+2\.0 KiB\s+2026-12-06T17:00:00Z {2}kept forever$/m);
    expect(text).toMatch(/^nightly\s+btrfs\s+-\s+2026-12-06T18:00:00Z {2}scheduled$/m);
  });

  it('says how to take the first one when there is none', () => {
    expect(formatCapsuleSnapshots([])).toContain('nova snapshot capsule NAME');
  });
});
