// What deserves a desktop notification, as a pure function of one event: a VM that
// crashed, a capsule that died and is being restarted, a scheduled snapshot that failed,
// and (while the user is not looking at the window) a long operation that finished or
// failed. A guest that dies says why, as the engine told the helper: QEMU's end (exit
// status, signal, log tail) for a VM, the capsule's last exit (code, signal, OOM kill from
// the cgroup's memory.events) read with capsule.get. Delivery is desktop-notifier.ts's job;
// "Open" shows the window on the target's page (resourcePageHash).
import type { CapsuleExit } from '../../src-shared/capsule.js';
import type { NovaEvent } from '../../src-shared/index.js';
import { resourceHref } from '../../src-shared/resource-page.js';
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

/** What the caller looked up for an event (see needsCapsuleExit). */
export interface NotificationContext {
  /** The capsule's last exit, from capsule.get; null when it could not be read. */
  readonly capsuleExit?: CapsuleExit | null;
}

/** Whether the event's notification says why a capsule ended: then pass its lastExit. */
export function needsCapsuleExit(event: NovaEvent): event is Extract<NovaEvent, { name: 'capsule.stateChanged' }> {
  return event.name === 'capsule.stateChanged' && (event.payload.state === 'restarting' || event.payload.state === 'stopped');
}

/** Why a capsule's process ended, in a sentence. */
export function capsuleExitWhy(exit: CapsuleExit): string {
  const detail = exit.message ? ` (${exit.message})` : '';
  switch (exit.reason) {
    case 'oom-killed':
      return `Killed by the kernel for running out of memory (OOM kill at its memory limit)${detail}.`;
    case 'signaled':
      return `Killed by signal ${exit.signal ?? (exit.exitCode !== null && exit.exitCode > 128 ? exit.exitCode - 128 : 'unknown')}${detail}.`;
    case 'exited':
      return `Exited with code ${exit.exitCode ?? 'unknown'}${detail}.`;
    case 'start-failed':
      return `Failed to start${detail}.`;
    case 'lost':
      return `Its process was gone when Nova looked${detail}.`;
    case 'stopped':
      return `Stopped on request${detail}.`;
  }
}

/** A capsule that ended by itself, not by a stop someone asked for, nor a clean exit 0. */
function diedOnItsOwn(exit: CapsuleExit): boolean {
  return exit.reason !== 'stopped' && !(exit.reason === 'exited' && exit.exitCode === 0);
}

/** `userLooking`: the window is visible and focused, so it already shows what happened. */
export function notificationFor(event: NovaEvent, userLooking: boolean, context: NotificationContext = {}): NovaNotification | null {
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
      const exit = context.capsuleExit ?? null;
      const target = { kind: 'capsule', name } as const;
      if (state === 'restarting') {
        const why = exit ? `${capsuleExitWhy(exit)} ` : '';
        return { summary: `Capsule ${name} exited`, body: `${why}Its restart policy is starting it again.`, urgency: 'normal', target, actions: [OPEN] };
      }
      if (state !== 'stopped' || !exit || !diedOnItsOwn(exit)) return null;
      return { summary: `Capsule ${name} stopped`, body: capsuleExitWhy(exit), urgency: exit.reason === 'oom-killed' ? 'critical' : 'normal', target, actions: [OPEN] };
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

/** The window's page for a resource: what "Open" on a notification shows. */
export function resourcePageHash(target: ResourceRef): string {
  return resourceHref(target) ?? '#/projects';
}

/** A tray action the helper refused (`locked`, not authorized...): the window may be hidden, so say so here. */
export function notificationForRefusal(action: string, target: ResourceRef, message: string): NovaNotification {
  return { summary: `Could not ${action} ${describeResource(target)}`, body: message, urgency: 'normal', target, actions: [OPEN] };
}
