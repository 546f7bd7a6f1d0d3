import { describe, expect, it } from 'vitest';
import type { NovaEvent } from '../../src-shared/index.js';
import type { TrayState } from './tray-menu.js';
import { EMPTY_TRAY_STATE, TrayStateFeed, type TrayStateSource } from './tray-state-feed.js';

class ScriptedSource implements TrayStateSource {
  fetches = 0;
  listeners = new Set<(e: NovaEvent) => void>();
  pending: Array<{ resolve: (s: TrayState) => void; reject: (e: Error) => void }> = [];

  fetch(): Promise<TrayState> {
    this.fetches++;
    return new Promise((resolve, reject) => this.pending.push({ resolve, reject }));
  }
  subscribe(listener: (e: NovaEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  emit(event: NovaEvent): void {
    for (const l of this.listeners) l(event);
  }
}

const running: TrayState = { vms: [{ name: 'web', state: 'running' }], capsules: [] };
const tick = () => new Promise((r) => setImmediate(r));

describe('TrayStateFeed', () => {
  it('fetches at once and again on each state change, one fetch for a burst', async () => {
    const source = new ScriptedSource();
    const seen: TrayState[] = [];
    const feed = new TrayStateFeed(source, (s) => seen.push(s));
    expect(source.fetches).toBe(1);
    source.emit({ name: 'vm.stateChanged', payload: { name: 'web', state: 'starting', reason: null } });
    source.emit({ name: 'vm.stateChanged', payload: { name: 'web', state: 'running', reason: null } });
    source.emit({ name: 'capsule.stateChanged', payload: { name: 'r', state: 'running' } });
    expect(source.fetches).toBe(1);
    source.pending.shift()!.resolve(EMPTY_TRAY_STATE);
    await tick();
    expect(source.fetches).toBe(2);
    source.pending.shift()!.resolve(running);
    await tick();
    expect(seen).toEqual([EMPTY_TRAY_STATE, running]);
    feed.close();
  });

  it('shows no guests when the lists cannot be fetched, and stops after close', async () => {
    const source = new ScriptedSource();
    const seen: TrayState[] = [];
    const feed = new TrayStateFeed(source, (s) => seen.push(s));
    source.pending.shift()!.reject(new Error('helper down'));
    await tick();
    expect(seen).toEqual([EMPTY_TRAY_STATE]);
    feed.close();
    source.emit({ name: 'vm.stateChanged', payload: { name: 'web', state: 'running', reason: null } });
    expect(source.fetches).toBe(1);
    expect(source.listeners.size).toBe(0);
  });
});
