import { afterEach, describe, expect, it, vi } from 'vitest';
import type { NovaEvent, NovaWindowApi } from '../../../src-shared/index.js';
import { ElectronTransport } from './electron-transport.js';

/** A stand-in for the preload's window.nova, built as a plain nested table. */
function fakeBridge(table: Record<string, Record<string, (p?: unknown) => Promise<unknown>>>) {
  const listeners = new Set<(e: NovaEvent) => void>();
  const bridge = {
    ...table,
    subscribe: (l: (e: NovaEvent) => void) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
  };
  return { nova: bridge as unknown as NovaWindowApi, push: (e: unknown) => listeners.forEach((l) => l(e as NovaEvent)) };
}

const opts = { timeoutMs: 1000 };

afterEach(() => {
  vi.useRealTimers();
});

describe('ElectronTransport', () => {
  it('calls window.nova.group.verb with the params and passes its envelope through', async () => {
    const check = vi.fn(async () => ({ ok: true, value: 42 }));
    const { nova } = fakeBridge({ host: { check } });
    const envelope = await new ElectronTransport(nova).call('host.check', { refresh: true }, opts);
    expect(check).toHaveBeenCalledWith({ refresh: true });
    expect(envelope).toEqual({ ok: true, value: 42 });
  });

  it('answers unknown_method for a method the bridge lacks, including prototype names', async () => {
    const { nova } = fakeBridge({ host: {} });
    const t = new ElectronTransport(nova);
    expect((await t.call('host.check', {}, opts)).ok).toBe(false);
    const proto = await t.call('host.constructor', {}, opts);
    expect(proto).toMatchObject({ ok: false, error: { code: 'unknown_method' } });
  });

  it('turns a malformed envelope into a protocol error and a rejection into its error shape', async () => {
    const { nova } = fakeBridge({
      host: { check: async () => ({ value: 1 }) },
      helper: { ping: async () => Promise.reject({ code: 'unavailable', message: 'no helper' }) },
    });
    const t = new ElectronTransport(nova);
    expect(await t.call('host.check', {}, opts)).toMatchObject({ ok: false, error: { code: 'protocol' } });
    expect(await t.call('helper.ping', {}, opts)).toEqual({ ok: false, error: { code: 'unavailable', message: 'no helper' } });
  });

  it('times out a call the bridge never answers', async () => {
    vi.useFakeTimers();
    const { nova } = fakeBridge({ host: { check: () => new Promise(() => {}) } });
    const pending = new ElectronTransport(nova).call('host.check', {}, opts);
    await vi.advanceTimersByTimeAsync(1000);
    expect(await pending).toMatchObject({ ok: false, error: { code: 'timeout' } });
  });

  it('asks main for events once, with the first listener', () => {
    const subscribe = vi.fn(async () => ({ ok: true, value: { subscribed: true } }));
    const { nova } = fakeBridge({ events: { subscribe } });
    const t = new ElectronTransport(nova);
    t.subscribe(() => undefined);
    t.subscribe(() => undefined);
    expect(subscribe).toHaveBeenCalledTimes(1);
  });

  it('forwards only events that match the contract', () => {
    const { nova, push } = fakeBridge({ events: { subscribe: async () => ({ ok: true, value: { subscribed: true } }) } });
    const seen: string[] = [];
    new ElectronTransport(nova).subscribe((e) => seen.push(e.name));
    push({ name: 'host.checked', payload: { generatedAt: 'x' } });
    push({ name: 'host.checked', payload: { generatedAt: 1 } });
    push({ name: 'evil.event', payload: {} });
    expect(seen).toEqual(['host.checked']);
  });
});
