// Fans Nova events out to every subscriber (Electron windows, WebSocket clients):
// the helper's events as they arrive, and main's own view of the helper connection.
import type { NovaEvent } from '../../src-shared/index.js';
import type { HelperClient } from './helper-client.js';

export class EventHub {
  private readonly listeners = new Set<(event: NovaEvent) => void>();
  private readonly detach: Array<() => void> = [];

  constructor(helper: HelperClient) {
    this.detach.push(helper.onEvent((event) => this.publish(event)));
    this.detach.push(
      helper.onConnectionChange((connected, reason) =>
        this.publish({
          name: 'connection.changed',
          payload: reason === undefined ? { connected } : { connected, reason },
        }),
      ),
    );
  }

  subscribe(listener: (event: NovaEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  publish(event: NovaEvent): void {
    for (const l of this.listeners) {
      try {
        l(event);
      } catch {
        // One broken subscriber must not starve the others.
      }
    }
  }

  dispose(): void {
    for (const d of this.detach) d();
    this.listeners.clear();
  }
}
