// What deserves a desktop notification, as a pure function of one event: a VM that
// crashed, a capsule that died and is being restarted, a scheduled snapshot that failed,
// and (while the user is not looking at the window) a long operation that finished or
// failed. Delivery is desktop-notifier.ts's job; the window decides what "Open" shows.
import type { NovaEvent } from '../../src-shared/index.js';
import { describeResource, type ResourceRef } from '../../src-shared/operation.js';

/** `default` is the notification spec's key for clicking the notification itself. */
export type NotificationActionKey = 'default' | 'console';

export interface NovaNotification {
  readonly summary: string;
  readonly body: string;
  readonly urgency: 'normal' | 'critical';
  readonly target: ResourceRef;
  readonly actions: ReadonlyArray<{ readonly key: NotificationActionKey; readonly label: string }>;
}

/** Shorter operations end while the user still watches their progress. */
export const LONG_OPERATION_MS = 10_000;

const OPEN = { key: 'default', label: 'Open' } as const;
const OPEN_CONSOLE = { key: 'console', label: 'Open console' } as const;

/** `userLooking`: the window is visible and focused, so it already shows what happened. */
export function notificationFor(event: NovaEvent, userLooking: boolean): NovaNotification | null {
  switch (event.name) {
    case 'vm.stateChanged': {
      const { name, state, reason } = event.payload;
      if (state !== 'crashed') return null;
      return {
        summary: `VM ${name} crashed`,
        body: reason ?? 'QEMU ended without a shutdown request.',
        urgency: 'critical',
        target: { kind: 'vm', name },
        actions: [OPEN],
      };
    }
    case 'capsule.stateChanged': {
      const { name, state } = event.payload;
      if (state !== 'restarting') return null;
      return {
        summary: `Capsule ${name} exited`,
        body: 'Its restart policy is starting it again.',
        urgency: 'normal',
        target: { kind: 'capsule', name },
        actions: [OPEN],
      };
    }
    case 'snapshot.scheduleFailed': {
      // The helper takes these while nobody watches: always worth saying.
      const { kind, name, message } = event.payload;
      return { summary: `Scheduled snapshot of ${kind === 'vm' ? 'VM' : 'capsule'} ${name} failed`, body: message, urgency: 'normal', target: { kind, name }, actions: [OPEN] };
    }
    case 'operation.changed': {
      const op = event.payload;
      if (userLooking || op.finishedAt === null || (op.state !== 'succeeded' && op.state !== 'failed')) return null;
      if (Date.parse(op.finishedAt) - Date.parse(op.startedAt) < LONG_OPERATION_MS) return null;
      const what = `${op.title} (${describeResource(op.resource)})`;
      if (op.state === 'failed') {
        return { summary: `Failed: ${what}`, body: op.error?.message ?? 'The operation failed.', urgency: 'normal', target: op.resource, actions: [OPEN] };
      }
      const consoleToo = op.kind === 'vm.start' ? [OPEN_CONSOLE] : [];
      return { summary: `Done: ${what}`, body: '', urgency: 'normal', target: op.resource, actions: [OPEN, ...consoleToo] };
    }
    default:
      return null;
  }
}

/** A tray action the helper refused (`locked`, not authorized...): the window may be hidden, so say so here. */
export function notificationForRefusal(action: string, target: ResourceRef, message: string): NovaNotification {
  return { summary: `Could not ${action} ${describeResource(target)}`, body: message, urgency: 'normal', target, actions: [OPEN] };
}
