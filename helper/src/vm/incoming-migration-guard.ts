// What ends an incoming migration that nobody will finish. The arriving VM belongs to the
// connection that prepared it: when that connection closes before finish, no caller is
// left to finish it, so it is discarded (the source's copy is whole and runs on there). A
// caller that hangs without closing, or a link that dies silently, is caught by a
// backstop: no bytes moving through the arriving QEMU for a while discards it too.
import { readFile } from 'node:fs/promises';
import type { Requester } from '../operations/operation-manager.js';

/** An incoming migration through which no data moved for this long is discarded. */
export const INCOMING_MIGRATION_IDLE_MS = 10 * 60_000;
/** Overrides INCOMING_MIGRATION_IDLE_MS (tests wait seconds, not minutes). */
export const INCOMING_MIGRATION_IDLE_ENV = 'NOVA_INCOMING_MIGRATION_IDLE_MS';
/** Bytes the QEMU must read or write between two looks to count as progress: QMP chatter stays far below it. */
const PROGRESS_BYTES = 64 * 1024;
const MAX_LOOK_EVERY_MS = 30_000;

/** Why an arriving VM is discarded without its caller asking. */
export type AbandonReason = 'caller-gone' | 'idle' | 'qemu-gone';

/** The idle bound: the environment's override when it is a positive number of milliseconds, else the default. */
export function incomingIdleMs(env: NodeJS.ProcessEnv): number {
  const raw = env[INCOMING_MIGRATION_IDLE_ENV];
  const ms = raw === undefined ? NaN : Number(raw);
  return Number.isInteger(ms) && ms > 0 ? ms : INCOMING_MIGRATION_IDLE_MS;
}

export class IncomingMigrationGuards {
  private readonly guards = new Map<string, () => void>();

  constructor(
    private readonly idleMs: number,
    private readonly abandon: (name: string, reason: AbandonReason) => Promise<void>,
  ) {}

  /** Watches VM `name`, arriving into QEMU `pid`, until release: its caller's connection and its progress. */
  watch(name: string, pid: number, onDisconnect: Requester['onDisconnect']): void {
    this.release(name);
    let lastBytes: number | null = null;
    let lastProgress = Date.now();
    let looking = false;
    const end = (reason: AbandonReason): void => {
      if (!this.guards.has(name)) return;
      this.release(name);
      void this.abandon(name, reason);
    };
    const look = async (): Promise<void> => {
      if (looking) return;
      looking = true;
      try {
        const bytes = await ioBytes(pid);
        if (bytes === null) return end('qemu-gone');
        if (lastBytes === null || bytes - lastBytes >= PROGRESS_BYTES) {
          lastBytes = bytes;
          lastProgress = Date.now();
        } else if (Date.now() - lastProgress >= this.idleMs) {
          end('idle');
        }
      } finally {
        looking = false;
      }
    };
    const timer = setInterval(() => void look(), Math.max(50, Math.min(this.idleMs / 4, MAX_LOOK_EVERY_MS)));
    timer.unref();
    // Registered last: a connection already closed calls back at once, and everything is in place for it.
    this.guards.set(name, () => clearInterval(timer));
    const unsubscribe = onDisconnect?.(() => end('caller-gone'));
    if (unsubscribe) {
      this.guards.set(name, () => {
        clearInterval(timer);
        unsubscribe();
      });
    }
    void look();
  }

  /** Finished or discarded by its caller: nothing watches it any more. */
  release(name: string): void {
    const stop = this.guards.get(name);
    if (!stop) return;
    this.guards.delete(name);
    stop();
  }
}

/** Everything the process read and wrote, sockets included (the migration stream and the NBD server's writes); null once it is gone. */
async function ioBytes(pid: number): Promise<number | null> {
  const text = await readFile(`/proc/${pid}/io`, 'utf8').catch(() => null);
  if (text === null) return null;
  const field = (key: string): number => Number(new RegExp(`^${key}: (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
  return field('rchar') + field('wchar');
}
