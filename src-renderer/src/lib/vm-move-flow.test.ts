import { describe, expect, it } from 'vitest';
import { coldMoveNote, listenFor, moveDestinations, moveKindFor, moveOutcomeWords, moveStepWords } from './vm-move-flow.js';

const saved = [
  { name: 'closet', url: 'ssh://root@10.0.0.2:2222' },
  { name: 'attic', url: 'ssh://attic.lan' },
];
const links = {
  closet: { name: 'closet', state: 'connected' as const, error: null, retryAt: null },
  attic: { name: 'attic', state: 'disconnected' as const, error: 'Connection refused', retryAt: 1 },
};

describe('the Move dialog flow', () => {
  it('offers a live move for a running or paused VM, a cold one for a stopped VM, and none between states', () => {
    expect(moveKindFor('running')).toBe('live');
    expect(moveKindFor('paused')).toBe('live');
    expect(moveKindFor('stopped')).toBe('cold');
    expect(moveKindFor('starting')).toBeNull();
    expect(moveKindFor('stopping')).toBeNull();
  });

  it('lists every other host with how it is reached, and its listen address from its ssh address', () => {
    expect(moveDestinations('local', saved, links)).toEqual([
      { name: 'closet', label: 'closet (connected)', reachable: true, listen: '10.0.0.2' },
      { name: 'attic', label: 'attic (unreachable: Connection refused)', reachable: false, listen: 'attic.lan' },
    ]);
    // From a saved host, this machine comes first and its address is the user's to give.
    expect(moveDestinations('closet', saved, {}).map((d) => [d.name, d.label, d.listen])).toEqual([
      ['local', 'This machine', ''],
      ['attic', 'attic (connecting…)', 'attic.lan'],
    ]);
  });

  it('prefills no listen address from what is not an ssh address', () => {
    expect(listenFor('local')).toBe('');
    expect(listenFor('not a url')).toBe('');
  });

  it('says each step and the outcome in words', () => {
    expect(moveStepWords(null)).toBe('Checking that the VM can move…');
    const op = { progress: { phase: 'copying the disks', fraction: 0.5, bytesDone: 1, bytesTotal: 2 } };
    expect(moveStepWords({ name: 'web', from: 'local', to: 'closet', step: 'sending', operation: op as never })).toBe('copying the disks');
    expect(moveStepWords({ name: 'web', from: 'local', to: 'closet', step: 'sending', operation: null }, 'cold')).toBe('Sending the files…');
    expect(moveStepWords({ name: 'web', from: 'local', to: 'closet', step: 'finishing', operation: null }, 'cold')).toBe('The destination is checking what arrived…');
    expect(moveOutcomeWords('web', 'local', { kind: 'cold', wallMs: 4_260, files: 3, bytes: 64 * 1024 * 1024, streamBytes: 1024 })).toBe(
      'web is on this machine now, moved stopped: 3 files, 64.0 MiB copied in 4.3 s.',
    );
    expect(moveOutcomeWords('web', 'closet', { kind: 'live', wallMs: 12_345, downtimeMs: 45.2, totalMs: 10_000, diskBytes: 64 * 1024 * 1024, ramBytes: 200 * 1024 * 1024 })).toBe(
      'web now runs on closet: moved in 12.3 s, paused 45 ms at the switch (disks 64.0 MiB, memory 200 MiB).',
    );
  });

  it('says what a capsule move does before and after it', () => {
    expect(moveStepWords(null, 'cold', 'capsule')).toBe('Checking that the capsule can move…');
    expect(coldMoveNote('capsule', 'db', true)).toBe('db runs, so it is stopped here and started there: its files, volumes and image are copied while it is stopped.');
    expect(coldMoveNote('capsule', 'db', false)).toMatch(/^db is stopped, so it moves as it is/);
    expect(moveOutcomeWords('db', 'closet', { kind: 'cold', wallMs: 2_000, files: 1, bytes: 2048, streamBytes: 2048, restarted: true })).toBe(
      'db runs on closet now, stopped here and started there: 1 file, 2.0 KiB copied in 2.0 s.',
    );
  });
});
