import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { TransportState } from './transport.js';
import { WebTransport, webSocketUrl, type SocketLike } from './web-transport.js';

class FakeSocket implements SocketLike {
  readyState = 0;
  onopen: ((ev: Event) => void) | null = null;
  onclose: ((ev: CloseEvent) => void) | null = null;
  onerror: ((ev: Event) => void) | null = null;
  onmessage: ((ev: MessageEvent) => void) | null = null;
  readonly sent: Array<{ id: number; method: string; params: unknown }> = [];

  constructor(
    readonly url: string,
    readonly protocols: string[] = [],
  ) {}

  send(data: string): void {
    this.sent.push(JSON.parse(data) as { id: number; method: string; params: unknown });
  }
  close(): void {
    this.readyState = 3;
  }
  open(): void {
    this.readyState = 1;
    this.onopen?.({} as Event);
  }
  drop(code = 1006): void {
    this.readyState = 3;
    this.onclose?.({ code } as CloseEvent);
  }
  receive(message: unknown): void {
    this.onmessage?.({ data: JSON.stringify(message) } as MessageEvent);
  }
}

let sockets: FakeSocket[];
let states: TransportState[];

function makeTransport(protocols?: string[]): WebTransport {
  const t = new WebTransport({
    url: 'ws://127.0.0.1:9/nova-ws',
    ...(protocols ? { protocols } : {}),
    createSocket: (url, offered) => {
      const s = new FakeSocket(url, offered);
      sockets.push(s);
      return s;
    },
    random: () => 1,
    backoff: { baseMs: 100, maxMs: 1000 },
  });
  t.onStateChange((s) => states.push(s));
  return t;
}

const last = (): FakeSocket => {
  const s = sockets.at(-1);
  if (!s) throw new Error('no socket yet');
  return s;
};

beforeEach(() => {
  vi.useFakeTimers();
  sockets = [];
  states = [];
});
afterEach(() => {
  vi.useRealTimers();
});

describe('WebTransport', () => {
  it('offers its protocols, the token among them, on every connection, reconnections too', async () => {
    makeTransport(['nova.v1', 'nova-token.abc']);
    expect(last().protocols).toEqual(['nova.v1', 'nova-token.abc']);
    last().drop();
    await vi.advanceTimersByTimeAsync(200);
    expect(sockets).toHaveLength(2);
    expect(last().protocols).toEqual(['nova.v1', 'nova-token.abc']);
  });

  it('queues calls until the socket opens, then matches results by id', async () => {
    const t = makeTransport();
    expect(t.getState().status).toBe('connecting');
    const pending = t.call('host.check', { refresh: false }, { timeoutMs: 5000 });
    expect(last().sent).toHaveLength(0);
    last().open();
    expect(last().sent).toEqual([{ type: 'call', id: 1, method: 'host.check', params: { refresh: false } }]);
    last().receive({ type: 'result', id: 1, envelope: { ok: true, value: 'report' } });
    expect(await pending).toEqual({ ok: true, value: 'report' });
  });

  it('fails in-flight calls as unavailable when the link drops, and does not replay them', async () => {
    const t = makeTransport();
    last().open();
    const pending = t.call('helper.ping', {}, { timeoutMs: 5000 });
    last().drop();
    expect(await pending).toMatchObject({ ok: false, error: { code: 'unavailable' } });
    expect(t.getState()).toMatchObject({ status: 'reconnecting', attempt: 1 });
    await vi.advanceTimersByTimeAsync(100);
    last().open();
    expect(last().sent).toEqual([]);
  });

  it('reconnects with growing delays and reports each state', async () => {
    makeTransport();
    last().drop(); // refused before opening
    expect(states.at(-1)).toMatchObject({ status: 'reconnecting', attempt: 1 });
    await vi.advanceTimersByTimeAsync(99);
    expect(sockets).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(sockets).toHaveLength(2);
    last().drop();
    expect(states.at(-1)).toMatchObject({ status: 'reconnecting', attempt: 2 });
    await vi.advanceTimersByTimeAsync(200);
    expect(sockets).toHaveLength(3);
    last().open();
    expect(states.at(-1)).toMatchObject({ status: 'connected', attempt: 0, lastError: null });
  });

  it('answers timeout when no result arrives in time, and ignores the late result', async () => {
    const t = makeTransport();
    last().open();
    const pending = t.call('host.check', {}, { timeoutMs: 2000 });
    await vi.advanceTimersByTimeAsync(2000);
    expect(await pending).toMatchObject({ ok: false, error: { code: 'timeout' } });
    expect(() => last().receive({ type: 'result', id: 1, envelope: { ok: true, value: 1 } })).not.toThrow();
  });

  it('delivers valid events and drops malformed messages and unknown events', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const t = makeTransport();
    last().open();
    const seen: unknown[] = [];
    t.subscribe((e) => seen.push(e));
    last().onmessage?.({ data: 'not json' } as MessageEvent);
    last().receive({ type: 'event', event: { name: 'connection.changed', payload: { connected: 'yes' } } });
    last().receive({ type: 'event', event: { name: 'vm.exploded', payload: {} } });
    last().receive({ type: 'event', event: { name: 'connection.changed', payload: { connected: false, reason: 'gone' } } });
    expect(seen).toEqual([{ name: 'connection.changed', payload: { connected: false, reason: 'gone' } }]);
    warn.mockRestore();
  });

  it('subscribes to events with the first listener, and again on every new socket before queued calls', async () => {
    const t = makeTransport();
    t.subscribe(() => undefined);
    t.subscribe(() => undefined);
    const queued = t.call('host.check', {}, { timeoutMs: 60_000 });
    last().open();
    expect(last().sent.map((m) => m.method)).toEqual(['events.subscribe', 'host.check']);
    last().drop();
    expect(await queued).toMatchObject({ ok: false, error: { code: 'unavailable' } });
    await vi.advanceTimersByTimeAsync(100);
    last().open();
    expect(last().sent.map((m) => m.method)).toEqual(['events.subscribe']);
  });

  it('says so when the server refuses the subscription', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const t = makeTransport();
    last().open();
    t.subscribe(() => undefined);
    const asked = last().sent[0];
    last().receive({ type: 'result', id: asked?.id, envelope: { ok: false, error: { code: 'not_authorized', message: 'polkit said no' } } });
    await vi.advanceTimersByTimeAsync(0);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('polkit said no'));
    warn.mockRestore();
  });

  it('after close, fails pending calls, stops reconnecting and refuses new calls', async () => {
    const t = makeTransport();
    const queued = t.call('helper.ping', {}, { timeoutMs: 5000 });
    t.close();
    expect(await queued).toMatchObject({ ok: false, error: { code: 'unavailable' } });
    expect(await t.call('helper.ping', {}, { timeoutMs: 5000 })).toMatchObject({ ok: false });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(sockets).toHaveLength(1);
    expect(t.getState().status).toBe('closed');
  });
});

describe('webSocketUrl', () => {
  it('uses the page host with ws: or wss: to match http: or https:', () => {
    expect(webSocketUrl({ protocol: 'http:', host: '127.0.0.1:8080' }, '/nova-ws')).toBe('ws://127.0.0.1:8080/nova-ws');
    expect(webSocketUrl({ protocol: 'https:', host: 'box' }, '/nova-ws')).toBe('wss://box/nova-ws');
  });
});
