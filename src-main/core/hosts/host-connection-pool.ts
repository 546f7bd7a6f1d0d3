// The app's standing connections to saved remote hosts, one `ssh HOST nova connect` each,
// opened on first use. A link that drops is retried with exponential backoff (1 s doubling
// to 30 s); while it is down, calls to that host fail at once with when the next try is,
// so a dead host never holds up a page, and the local helper's connection is not here at all.
import { NovaError, toErrorShape, type NovaEvent } from '../../../src-shared/index.js';
import type { HostLinkView } from '../../../src-shared/api/hosts-api.js';
import type { HelperClient } from '../helper-client.js';

/** What the pool needs of a connection: a HelperClient fits. */
export type LinkClient = Pick<HelperClient, 'start' | 'close' | 'call' | 'onConnectionChange' | 'onEvent'>;

export interface HostConnectionPoolDeps {
  /** A new, unstarted client for a saved host; throws `not_found` for a name not saved. */
  open(name: string): Promise<LinkClient>;
  /** Each host's events, for the renderer's pages of that host. */
  onEvent?(host: string, event: NovaEvent): void;
  now?(): number;
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** How long a first connection may take (ssh's connect bound plus the helper's answer). */
  connectBoundMs?: number;
}

export const MIN_BACKOFF_MS = 1_000;
export const MAX_BACKOFF_MS = 30_000;
const DEFAULT_CONNECT_BOUND_MS = 20_000;

/** The delay before retry number `attempt` (1-based): min, 2*min, 4*min, ... capped at max. */
export function backoffMs(attempt: number, min = MIN_BACKOFF_MS, max = MAX_BACKOFF_MS): number {
  return Math.min(max, min * 2 ** Math.max(0, Math.min(attempt - 1, 30)));
}

class HostLink {
  state: HostLinkView['state'] = 'connecting';
  error: string | null = null;
  retryAt: number | null = null;
  private attempt = 0;
  private client: LinkClient | null = null;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private waiters: Array<() => void> = [];

  constructor(
    readonly name: string,
    private readonly deps: HostConnectionPoolDeps,
  ) {}

  view(): HostLinkView {
    return { name: this.name, state: this.state, error: this.error, retryAt: this.retryAt };
  }

  start(): void {
    this.state = 'connecting';
    this.retryAt = null;
    void this.connect();
  }

  /** The connected client; waits out a connection in progress, fails fast on a dead link. */
  async ready(): Promise<LinkClient> {
    if (this.state === 'connecting') {
      const bound = this.deps.connectBoundMs ?? DEFAULT_CONNECT_BOUND_MS;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, bound);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    if (this.state === 'connected' && this.client) return this.client;
    throw new NovaError('unavailable', this.downMessage());
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.client?.close();
    this.client = null;
    this.wake();
  }

  private async connect(): Promise<void> {
    let client: LinkClient;
    try {
      client = await this.deps.open(this.name);
    } catch (err) {
      return this.lost(null, toErrorShape(err).message);
    }
    if (this.closed) return client.close();
    this.client = client;
    client.onEvent((event) => this.deps.onEvent?.(this.name, event));
    client.onConnectionChange((up, reason) => {
      if (!up && this.client === client) this.lost(client, reason ?? 'connection closed');
    });
    client.start();
    try {
      // The transport is up once ssh runs; the host is up once its helper answers.
      await client.call('helper.ping', {});
    } catch (err) {
      return this.lost(client, toErrorShape(err).message);
    }
    if (this.client !== client) return;
    this.attempt = 0;
    this.state = 'connected';
    this.error = null;
    this.retryAt = null;
    this.wake();
  }

  private lost(client: LinkClient | null, reason: string): void {
    if (client && this.client !== client) return;
    this.client = null;
    client?.close();
    if (this.closed || this.timer) return;
    this.attempt += 1;
    const delay = backoffMs(this.attempt, this.deps.minBackoffMs, this.deps.maxBackoffMs);
    this.state = 'disconnected';
    this.error = reason;
    this.retryAt = (this.deps.now ?? Date.now)() + delay;
    this.wake();
    this.timer = setTimeout(() => {
      this.timer = null;
      if (!this.closed) this.start();
    }, delay);
    this.timer.unref?.();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  private downMessage(): string {
    const now = (this.deps.now ?? Date.now)();
    const inS = this.retryAt === null ? null : Math.max(0, Math.ceil((this.retryAt - now) / 1000));
    const retry = inS === null ? '' : `; reconnecting in ${inS} s`;
    return `Host ${this.name} is disconnected (${this.error ?? 'no answer yet'})${retry}`;
  }
}

export class HostConnectionPool {
  private readonly links = new Map<string, HostLink>();

  constructor(private readonly deps: HostConnectionPoolDeps) {}

  /** The host's connected client, opening the link on first use. */
  client(name: string): Promise<LinkClient> {
    return this.link(name).ready();
  }

  /** Where the link to `name` stands, opening it on first use. */
  view(name: string): HostLinkView {
    return this.link(name).view();
  }

  /** Drops a host's link (it was removed from the saved hosts). */
  forget(name: string): void {
    this.links.get(name)?.close();
    this.links.delete(name);
  }

  close(): void {
    for (const link of this.links.values()) link.close();
    this.links.clear();
  }

  private link(name: string): HostLink {
    let link = this.links.get(name);
    if (!link) {
      link = new HostLink(name, this.deps);
      this.links.set(name, link);
      link.start();
    }
    return link;
  }
}
