import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { IncomingMigrationGuards, incomingIdleMs, INCOMING_MIGRATION_IDLE_MS, type AbandonReason } from './incoming-migration-guard.js';

/** A stand-in for the caller's connection: close() calls what was registered. */
function connection() {
  const listeners = new Set<() => void>();
  return {
    onDisconnect: (l: () => void) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    close: () => [...listeners].forEach((l) => l()),
    get watched() {
      return listeners.size;
    },
  };
}

function guards(idleMs: number) {
  const abandoned: [string, AbandonReason][] = [];
  return { abandoned, guards: new IncomingMigrationGuards(idleMs, async (name, reason) => void abandoned.push([name, reason])) };
}

describe('incomingIdleMs', () => {
  it('takes a positive whole number of milliseconds from the environment, else the default', () => {
    expect(incomingIdleMs({ NOVA_INCOMING_MIGRATION_IDLE_MS: '5000' })).toBe(5000);
    expect(incomingIdleMs({})).toBe(INCOMING_MIGRATION_IDLE_MS);
    for (const bad of ['0', '-1', '1.5', 'soon', '']) expect(incomingIdleMs({ NOVA_INCOMING_MIGRATION_IDLE_MS: bad })).toBe(INCOMING_MIGRATION_IDLE_MS);
  });
});

describe('IncomingMigrationGuards', () => {
  it("abandons an arrival once when its caller's connection closes", async () => {
    const { abandoned, guards: g } = guards(60_000);
    const conn = connection();
    g.watch('web', process.pid, conn.onDisconnect);
    conn.close();
    conn.close();
    expect(abandoned).toEqual([['web', 'caller-gone']]);
    expect(conn.watched).toBe(0);
  });

  it('lets go of an arrival that was finished: a later close abandons nothing', () => {
    const { abandoned, guards: g } = guards(60_000);
    const conn = connection();
    g.watch('web', process.pid, conn.onDisconnect);
    g.release('web');
    conn.close();
    expect(abandoned).toEqual([]);
    expect(conn.watched).toBe(0);
  });

  it('abandons an arrival whose process moves no data for the idle bound', async () => {
    const { abandoned, guards: g } = guards(200);
    const idle = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      g.watch('web', idle.pid!, undefined);
      await new Promise((r) => setTimeout(r, 700));
      expect(abandoned).toEqual([['web', 'idle']]);
    } finally {
      idle.kill('SIGKILL');
    }
  });

  it('abandons an arrival whose process is gone', async () => {
    const { abandoned, guards: g } = guards(60_000);
    g.watch('web', 2 ** 22 + 1, undefined);
    await new Promise((r) => setTimeout(r, 50));
    expect(abandoned).toEqual([['web', 'qemu-gone']]);
  });
});
