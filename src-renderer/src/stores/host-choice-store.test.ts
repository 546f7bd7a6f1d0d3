// The host choice: remembered across reloads, fallen back to this machine when the host
// is no longer saved, and each saved host's link read from main.
import { afterEach, describe, expect, it } from 'vitest';
import type { HostLinkView } from '../../../src-shared/api/hosts-api.js';
import { FakeTransport } from '../transport/fake-transport.js';
import { NovaClient } from '../transport/nova-client.js';
import { createHostChoiceStore, HOST_CHOICE_KEY, hostLabel } from './host-choice-store.js';

const flush = () => new Promise((r) => setTimeout(r, 0));
const disposers: Array<() => void> = [];
afterEach(() => disposers.splice(0).forEach((d) => d()));

function memoryStorage(initial: Record<string, string> = {}) {
  const data = { ...initial };
  return { data, getItem: (k: string) => data[k] ?? null, setItem: (k: string, v: string) => void (data[k] = v) };
}

function transportWith(saved: string[], links: Record<string, HostLinkView>): FakeTransport {
  return new FakeTransport((method, params) => {
    if (method === 'hosts.list') return { ok: true, value: { hosts: saved.map((name) => ({ name, url: `ssh://${name}` })) } };
    const name = (params as { name: string }).name;
    return { ok: true, value: links[name] };
  });
}

const UP: HostLinkView = { name: 'nv6u-closet', state: 'connected', error: null, retryAt: null };

describe('the host choice', () => {
  it('remembers the chosen host and reads each saved host\'s link', async () => {
    const storage = memoryStorage();
    const made = createHostChoiceStore(new NovaClient(transportWith(['nv6u-closet'], { 'nv6u-closet': UP })), storage);
    disposers.push(made.dispose);
    await flush();
    await flush();
    expect(made.store.getState()).toMatchObject({ current: 'local', saved: ['nv6u-closet'], links: { 'nv6u-closet': UP } });
    made.store.getState().choose('nv6u-closet');
    expect(made.store.getState().current).toBe('nv6u-closet');
    expect(storage.data[HOST_CHOICE_KEY]).toBe('nv6u-closet');
  });

  it('falls back to this machine when the remembered host is no longer saved', async () => {
    const storage = memoryStorage({ [HOST_CHOICE_KEY]: 'nv6u-gone' });
    const made = createHostChoiceStore(new NovaClient(transportWith([], {})), storage);
    disposers.push(made.dispose);
    expect(made.store.getState().current).toBe('nv6u-gone');
    await flush();
    expect(made.store.getState().current).toBe('local');
    expect(storage.data[HOST_CHOICE_KEY]).toBe('local');
  });

  it('words a link for the switcher', () => {
    expect(hostLabel(undefined)).toBe('connecting…');
    expect(hostLabel(UP)).toBe('connected');
    expect(hostLabel({ ...UP, state: 'disconnected', error: 'refused', retryAt: 1 })).toBe('disconnected');
  });
});
