// Which host the pages show (this machine or a saved host) and how each saved host's
// link stands, for the switcher and the banner. The choice survives a reload (local
// storage); a host no longer saved falls back to this machine. Links are re-read every
// few seconds: main answers from memory, so this costs no host anything.
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { HostLinkView } from '../../../src-shared/api/hosts-api.js';
import { LOCAL_HOST, type NovaClient } from '../transport/nova-client.js';

export const HOST_CHOICE_KEY = 'nova.host';
const POLL_MS = 2_000;
/** The saved hosts are re-listed this often, so one added in another window shows up. */
const LIST_EVERY_POLLS = 5;

export interface HostChoiceState {
  /** `local` or a saved host's name. */
  readonly current: string;
  /** Saved hosts by name, in the order `hosts.list` gives. */
  readonly saved: readonly string[];
  /** Each saved host's link, once main said. */
  readonly links: Readonly<Record<string, HostLinkView>>;
  readonly choose: (host: string) => void;
  /** Re-reads the links; `relist` re-reads the saved hosts too (one was added or removed). */
  readonly refresh: (relist?: boolean) => Promise<void>;
}

export type HostChoiceStore = StoreApi<HostChoiceState>;

export interface ChoiceStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

export function createHostChoiceStore(client: NovaClient, storage: ChoiceStorage | null): { store: HostChoiceStore; dispose: () => void } {
  let polls = 0;
  const store = createStore<HostChoiceState>((set, get) => ({
    current: storage?.getItem(HOST_CHOICE_KEY) ?? LOCAL_HOST,
    saved: [],
    links: {},
    choose: (host) => {
      storage?.setItem(HOST_CHOICE_KEY, host);
      set({ current: host });
      void get().refresh();
    },
    refresh: async (relist = false) => {
      let saved = get().saved;
      if (relist || polls++ % LIST_EVERY_POLLS === 0) {
        try {
          saved = (await client.call('hosts.list', {})).hosts.map((h) => h.name);
        } catch {
          return; // main is unreachable: the connection indicator says so
        }
        set({ saved });
        if (get().current !== LOCAL_HOST && !saved.includes(get().current)) get().choose(LOCAL_HOST);
      }
      const answers = await Promise.all(saved.map((name) => client.call('hosts.connection', { name }).catch(() => null)));
      const links: Record<string, HostLinkView> = {};
      for (const link of answers) if (link) links[link.name] = link;
      set({ links });
    },
  }));
  void store.getState().refresh();
  const timer = setInterval(() => void store.getState().refresh(), POLL_MS);
  return { store, dispose: () => clearInterval(timer) };
}

/** How the switcher words a link, beside the colour. */
export function hostLabel(link: HostLinkView | undefined): string {
  if (!link || link.state === 'connecting') return 'connecting…';
  return link.state === 'connected' ? 'connected' : 'disconnected';
}
