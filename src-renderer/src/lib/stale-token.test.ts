import { describe, expect, it } from 'vitest';
import type { TransportState } from '../transport/transport.js';
import { watchForStaleToken } from './stale-token.js';

function harness(server: boolean, opens: boolean) {
  const listeners = new Set<(s: TransportState) => void>();
  let stale = 0;
  const stop = watchForStaleToken({
    token: 'old',
    onStateChange: (l) => (listeners.add(l), () => listeners.delete(l)),
    serverAnswers: async () => server,
    tokenOpens: async () => opens,
    onStale: () => stale++,
  });
  const emit = async (status: TransportState['status']) => {
    for (const l of listeners) l({ status, attempt: 1, nextRetryAt: null, lastError: null });
    await new Promise((r) => setTimeout(r, 0));
  };
  return { emit, stale: () => stale, listeners, stop };
}

describe('a stale web token', () => {
  it('is found when the server answers but refuses a socket with the token, once', async () => {
    const h = harness(true, false);
    await h.emit('connecting');
    expect(h.stale()).toBe(0);
    await h.emit('reconnecting');
    await h.emit('reconnecting');
    expect(h.stale()).toBe(1);
    expect(h.listeners.size).toBe(0);
  });

  it('is not assumed while the server is down, or when the token still opens Nova', async () => {
    for (const [server, opens] of [[false, false], [true, true]] as const) {
      const h = harness(server, opens);
      await h.emit('reconnecting');
      expect(h.stale()).toBe(0);
      h.stop();
    }
  });
});
