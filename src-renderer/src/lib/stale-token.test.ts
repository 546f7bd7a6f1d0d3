import { describe, expect, it } from 'vitest';
import type { TransportState } from '../transport/transport.js';
import { opensWithoutToken, watchForStaleToken } from './stale-token.js';

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

describe('opening without a token', () => {
  it('asks again after a closed socket, and opens on a later answer', async () => {
    const answers = [false, true];
    let asked = 0;
    const opens = await opensWithoutToken(async () => answers[asked++] ?? false, 3, 1);
    expect(opens).toBe(true);
    expect(asked).toBe(2);
  });

  it('gives up after its attempts, each one asked', async () => {
    let asked = 0;
    const opens = await opensWithoutToken(async () => (asked++, false), 3, 1);
    expect(opens).toBe(false);
    expect(asked).toBe(3);
  });
});
