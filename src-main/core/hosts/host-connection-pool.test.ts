// The pool's backoff and fail-fast rules with fake timers and fake connections: a host
// that drops is retried at 1, 2, 4 ... 30 s; calls to it fail at once saying when the
// next try is; it comes back when its helper answers again.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { NovaError, type NovaEvent } from '../../../src-shared/index.js';
import { backoffMs, HostConnectionPool, type LinkClient } from './host-connection-pool.js';

/** A connection whose helper answers while `up` is true, and which the test can drop. */
class FakeLink implements LinkClient {
  private connectionListeners: Array<(up: boolean, reason?: string) => void> = [];
  private eventListeners: Array<(e: NovaEvent) => void> = [];
  closed = false;
  constructor(private readonly up: () => boolean) {}
  start(): void {}
  close(): void {
    this.closed = true;
  }
  call = (async (method: string) => {
    if (!this.up()) throw new NovaError('unavailable', 'ssh could not connect: Connection refused');
    return method === 'helper.ping' ? { pong: true } : { vms: [], broken: [] };
  }) as unknown as LinkClient['call'];
  onConnectionChange(l: (up: boolean, reason?: string) => void): () => void {
    this.connectionListeners.push(l);
    return () => undefined;
  }
  onEvent(l: (e: NovaEvent) => void): () => void {
    this.eventListeners.push(l);
    return () => undefined;
  }
  drop(reason: string): void {
    for (const l of this.connectionListeners) l(false, reason);
  }
  emit(e: NovaEvent): void {
    for (const l of this.eventListeners) l(e);
  }
}

let up = true;
let opened: FakeLink[] = [];
const events: Array<[string, NovaEvent]> = [];

function makePool(): HostConnectionPool {
  return new HostConnectionPool({
    open: async (name) => {
      if (name === 'nv6u-unsaved') throw new NovaError('not_found', 'No host named "nv6u-unsaved" is saved');
      const link = new FakeLink(() => up);
      opened.push(link);
      return link;
    },
    onEvent: (host, e) => events.push([host, e]),
    now: () => Date.now(),
  });
}

/** Lets the pool's promise chains run without moving the clock. */
async function settle(): Promise<void> {
  await vi.advanceTimersByTimeAsync(0);
}

beforeEach(() => {
  vi.useFakeTimers();
  up = true;
  opened = [];
  events.length = 0;
});

afterEach(() => {
  vi.useRealTimers();
});

describe('the backoff', () => {
  it('doubles from 1 s and stays at 30 s', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 50].map((a) => backoffMs(a))).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
  });
});

describe('the connection pool', () => {
  it('opens a host on first use and hands out its connected client', async () => {
    const pool = makePool();
    const client = await pool.client('nv6u-closet');
    expect(client).toBe(opened[0]);
    expect(pool.view('nv6u-closet')).toEqual({ name: 'nv6u-closet', state: 'connected', error: null, retryAt: null });
    expect(opened).toHaveLength(1);
    pool.close();
    expect(opened[0]?.closed).toBe(true);
  });

  it('fails fast while a host is down, retries at 1, 2, 4 s, and recovers when it answers again', async () => {
    const pool = makePool();
    await pool.client('nv6u-closet');
    up = false;
    const t0 = Date.now();
    opened[0]?.drop('ssh exited');
    expect(pool.view('nv6u-closet')).toMatchObject({ state: 'disconnected', error: 'ssh exited', retryAt: t0 + 1000 });
    // Not held for the connect bound: refused now, saying when the next try is.
    await expect(pool.client('nv6u-closet')).rejects.toThrow('Host nv6u-closet is disconnected (ssh exited); reconnecting in 1 s');
    expect(Date.now()).toBe(t0);

    await vi.advanceTimersByTimeAsync(1000);
    expect(opened).toHaveLength(2);
    expect(pool.view('nv6u-closet')).toMatchObject({ state: 'disconnected', retryAt: Date.now() + 2000 });
    expect(pool.view('nv6u-closet').error).toMatch(/Connection refused/);
    await vi.advanceTimersByTimeAsync(1999);
    expect(opened).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(opened).toHaveLength(3);
    expect(pool.view('nv6u-closet').retryAt).toBe(Date.now() + 4000);

    up = true;
    await vi.advanceTimersByTimeAsync(4000);
    expect(opened).toHaveLength(4);
    expect(pool.view('nv6u-closet')).toMatchObject({ state: 'connected', error: null, retryAt: null });
    expect(await pool.client('nv6u-closet')).toBe(opened[3]);
    // The backoff starts over after a success.
    opened[3]?.drop('gone again');
    expect(pool.view('nv6u-closet').retryAt).toBe(Date.now() + 1000);
    pool.close();
  });

  it('never waits longer than 30 s between tries', async () => {
    const pool = makePool();
    up = false;
    await settle();
    pool.view('nv6u-attic');
    await settle();
    const delays: number[] = [];
    for (let i = 0; i < 8; i++) {
      const view = pool.view('nv6u-attic');
      const delay = (view.retryAt ?? 0) - Date.now();
      delays.push(delay);
      await vi.advanceTimersByTimeAsync(delay);
    }
    expect(delays).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
    pool.close();
  });

  it('keeps hosts independent: a dead one does not touch a live one', async () => {
    const pool = new HostConnectionPool({
      open: async (name) => new FakeLink(() => name !== 'nv6u-dead'),
    });
    await expect(pool.client('nv6u-dead')).rejects.toMatchObject({ code: 'unavailable' });
    expect(pool.view('nv6u-live').state).toBe('connecting');
    await settle();
    expect(pool.view('nv6u-live').state).toBe('connected');
    pool.close();
  });

  it('says why for a name that is not saved, and relays each host its own events', async () => {
    const pool = makePool();
    await expect(pool.client('nv6u-unsaved')).rejects.toThrow(/nv6u-unsaved is disconnected \(No host named "nv6u-unsaved" is saved\)/);
    await pool.client('nv6u-closet');
    opened[0]?.emit({ name: 'vm.stateChanged', payload: { name: 'g1', state: 'running' } } as NovaEvent);
    expect(events).toEqual([['nv6u-closet', { name: 'vm.stateChanged', payload: { name: 'g1', state: 'running' } }]]);
    pool.forget('nv6u-closet');
    expect(opened[0]?.closed).toBe(true);
    pool.close();
  });

  it('waits out a first connection in progress, within its bound', async () => {
    let release: () => void = () => undefined;
    const pool = new HostConnectionPool({
      open: () => new Promise<LinkClient>((resolve) => (release = () => resolve(new FakeLink(() => true)))),
      connectBoundMs: 5000,
    });
    const asked = pool.client('nv6u-slow');
    await vi.advanceTimersByTimeAsync(2000);
    release();
    await expect(asked).resolves.toBeDefined();
    const never = new HostConnectionPool({ open: () => new Promise<LinkClient>(() => undefined), connectBoundMs: 5000 });
    const late = never.client('nv6u-silent');
    const caught = late.catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(5000);
    expect(await caught).toMatchObject({ code: 'unavailable' });
    pool.close();
    never.close();
  });
});
