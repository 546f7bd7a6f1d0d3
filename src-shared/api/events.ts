// The event stream. Events are signals to refetch, carrying just enough to know what changed.
import { z } from 'zod';
import { capsuleEvents } from './capsule-api.js';
import { deviceEvents } from './device-api.js';
import { hostsEvents } from './hosts-api.js';
import { operationEvents } from './operation-api.js';
import { snapshotPolicyEvents } from './snapshot-policy-api.js';
import { projectEvents } from './project-api.js';
import { vmEvents } from './vm-api.js';
import { vmMoveEvents } from './vm-move-api.js';
import { capsuleMoveEvents } from './capsule-move-api.js';

export const novaEvents = {
  'connection.changed': z.strictObject({
    connected: z.boolean(),
    reason: z.string().optional(),
  }),
  'host.checked': z.strictObject({ generatedAt: z.string() }),
  'network.changed': z.strictObject({ name: z.string() }),
  ...vmEvents,
  ...capsuleEvents,
  ...operationEvents,
  ...snapshotPolicyEvents,
  ...projectEvents,
  ...deviceEvents,
  ...hostsEvents,
  ...vmMoveEvents,
  ...capsuleMoveEvents,
} as const;

export type NovaEventName = keyof typeof novaEvents;
export type NovaEventPayload<E extends NovaEventName> = z.infer<(typeof novaEvents)[E]>;
export type NovaEvent = { [E in NovaEventName]: { name: E; payload: NovaEventPayload<E> } }[NovaEventName];

export const NOVA_EVENT_NAMES = Object.keys(novaEvents) as NovaEventName[];

/** Validates an event from another process; null when it is not one of ours. */
export function parseNovaEvent(value: unknown): NovaEvent | null {
  if (typeof value !== 'object' || value === null) return null;
  const { name, payload } = value as { name?: unknown; payload?: unknown };
  if (typeof name !== 'string' || !(name in novaEvents)) return null;
  const schema = novaEvents[name as NovaEventName];
  const parsed = schema.safeParse(payload);
  return parsed.success ? ({ name, payload: parsed.data } as NovaEvent) : null;
}
