// Builds window.nova from the contract: one function per NovaApi method, nested by
// group, each bound to its own IPC channel, plus the event subscription. There is
// deliberately no generic "invoke a channel" function.
import { METHOD_NAMES, splitMethodName, type NovaWindowApi } from '../src-shared/api/nova-api.js';
import type { NovaEvent } from '../src-shared/api/events.js';
import { ipcChannelFor } from '../src-shared/wire/ipc-channels.js';

/** `host` is a saved host's name, or undefined for this machine. */
export type Invoke = (channel: string, params: unknown, host?: string) => Promise<unknown>;
export type SubscribeEvents = (listener: (event: NovaEvent) => void) => () => void;

export function buildNovaBridge(invoke: Invoke, subscribe: SubscribeEvents): NovaWindowApi {
  const api: Record<string, Record<string, (params?: unknown, host?: string) => Promise<unknown>>> = {};
  for (const method of METHOD_NAMES) {
    const [group, verb] = splitMethodName(method);
    const channel = ipcChannelFor(method);
    (api[group] ??= {})[verb] = (params?: unknown, host?: string) => invoke(channel, params ?? {}, typeof host === 'string' ? host : undefined);
  }
  return Object.freeze({ ...api, subscribe: (listener: (event: NovaEvent) => void) => subscribe(listener) }) as unknown as NovaWindowApi;
}
