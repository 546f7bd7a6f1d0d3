import { describe, expect, it } from 'vitest';
import { listenFor, moveDestinations, moveKindFor, moveOutcomeWords, moveStepWords } from './vm-move-flow.js';

const saved = [
  { name: 'closet', url: 'ssh://root@10.0.0.2:2222' },
  { name: 'attic', url: 'ssh://attic.lan' },
];
const links = {
  closet: { name: 'closet', state: 'connected' as const, error: null, retryAt: null },
  attic: { name: 'attic', state: 'disconnected' as const, error: 'Connection refused', retryAt: 1 },
};

describe('the Move dialog flow', () => {
  it('offers a live move for a running or paused VM, and no move otherwise for now', () => {
    expect(moveKindFor('running')).toBe('live');
    expect(moveKindFor('paused')).toBe('live');
    expect(moveKindFor('stopped')).toBeNull();
    expect(moveKindFor('starting')).toBeNull();
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
    expect(moveOutcomeWords('web', 'closet', { wallMs: 12_345, downtimeMs: 45.2, totalMs: 10_000, diskBytes: 64 * 1024 * 1024, ramBytes: 200 * 1024 * 1024 })).toBe(
      'web now runs on closet: moved in 12.3 s, paused 45 ms at the switch (disks 64.0 MiB, memory 200 MiB).',
    );
  });
});
