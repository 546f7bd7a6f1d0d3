// The Hosts page's methods: the user's saved remote hosts (what `nova host add|ls|rm`
// keep in $XDG_CONFIG_HOME/nova/hosts.json) and what each answers when asked. Main
// serves them as the user, since the list and the ssh keys are the user's own; no
// helper is involved until a host is probed, and then only through `ssh HOST nova connect`.
import { z } from 'zod';
import { defineMethod } from './define.js';

const main = { by: 'main' } as const;

export const HostStatusSchema = z.strictObject({
  reachable: z.boolean(),
  version: z.string().nullable(),
  accelerator: z.string().nullable(),
  vms: z.number().int().nullable(),
  capsules: z.number().int().nullable(),
  /** Why it is not reachable, in the words of ssh or the helper. */
  error: z.string().nullable(),
});
export type HostStatusView = z.infer<typeof HostStatusSchema>;

export const SavedHostSchema = z.strictObject({ name: z.string(), url: z.string() });
export type SavedHost = z.infer<typeof SavedHostSchema>;

/**
 * The app's standing connection to a saved host (the host switcher's dot, the banner of a
 * host's pages): `retryAt` is when the next try is, in epoch milliseconds, while down.
 */
export const HostLinkSchema = z.strictObject({
  name: z.string(),
  state: z.enum(['connecting', 'connected', 'disconnected']),
  error: z.string().nullable(),
  retryAt: z.number().nullable(),
});
export type HostLinkView = z.infer<typeof HostLinkSchema>;

/** A probe waits for ssh's own connect bound and the helper's answers, no longer. */
const PROBE_TIMEOUT_MS = 60_000;

export const hostsMethods = {
  'hosts.list': defineMethod({
    summary: 'The saved remote hosts by name and address (as nova host ls lists them), without asking them anything',
    params: z.strictObject({}),
    result: z.strictObject({ hosts: z.array(SavedHostSchema) }),
    served: main,
  }),
  'hosts.probe': defineMethod({
    summary: "Ask one host (a saved name, or local) whether Nova answers: version, accelerator and guest counts, within a bound",
    params: z.strictObject({ name: z.string().min(1).max(64) }),
    result: HostStatusSchema,
    served: main,
    timeoutMs: PROBE_TIMEOUT_MS,
  }),
  'hosts.add': defineMethod({
    summary: 'Save a remote host (name and ssh://[user@]host[:port]), then ask it, saying what it found; an unreachable host is saved and shown as such',
    params: z.strictObject({ name: z.string().min(1).max(64), url: z.string().min(1).max(512) }),
    result: z.strictObject({ host: SavedHostSchema, status: HostStatusSchema }),
    served: main,
    timeoutMs: PROBE_TIMEOUT_MS,
  }),
  'hosts.connection': defineMethod({
    summary: "Where the app's connection to a saved host stands (connected, or down with why and when it retries), opening it on first ask",
    params: z.strictObject({ name: z.string().min(1).max(64) }),
    result: HostLinkSchema,
    served: main,
  }),
  'hosts.remove': defineMethod({
    summary: 'Forget a saved host (nothing changes on the host itself)',
    params: z.strictObject({ name: z.string().min(1).max(64) }),
    result: z.strictObject({ removed: z.string() }),
    served: main,
  }),
} as const;

/** Another host's event, relayed by main for the pages showing that host: a signal to refetch there. */
export const hostsEvents = {
  'hosts.relayed': z.strictObject({
    host: z.string(),
    event: z.strictObject({ name: z.string(), payload: z.unknown() }),
  }),
} as const;
