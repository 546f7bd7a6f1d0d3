// Who may hold how many connections to the helper. Anyone may connect, so one user's
// pile of idle connections must never lock out the others, and root (the admin's own
// CLI, systemd's checks) always finds a slot: each non-root uid has a cap, and the
// last few slots of the total are kept for root.

export interface ConnectionCaps {
  /** Connections in all, root's included. */
  total: number;
  /** Of the total, how many only root may use. */
  keptForRoot: number;
  /** Connections one non-root uid may hold. */
  perUid: number;
}

export const DEFAULT_CONNECTION_CAPS: ConnectionCaps = { total: 256, keptForRoot: 32, perUid: 32 };

export type Admission = { admitted: true; release: () => void } | { admitted: false; reason: string };

export class ConnectionAdmission {
  private total = 0;
  /** Connections of every uid but root's. */
  private ofUsers = 0;
  private readonly byUid = new Map<number, number>();

  constructor(private readonly caps: ConnectionCaps = DEFAULT_CONNECTION_CAPS) {}

  /** Takes a slot for a connection from `uid`; `release` gives it back exactly once. */
  admit(uid: number): Admission {
    const held = this.byUid.get(uid) ?? 0;
    if (uid === 0) {
      if (this.total >= this.caps.total) return { admitted: false, reason: `the helper serves at most ${this.caps.total} connections` };
    } else if (held >= this.caps.perUid) {
      return { admitted: false, reason: `uid ${uid} already holds ${held} connections (at most ${this.caps.perUid})` };
    } else if (this.ofUsers >= this.caps.total - this.caps.keptForRoot || this.total >= this.caps.total) {
      return { admitted: false, reason: 'every connection slot open to users is taken' };
    }
    this.total++;
    if (uid !== 0) this.ofUsers++;
    this.byUid.set(uid, held + 1);
    let released = false;
    return {
      admitted: true,
      release: () => {
        if (released) return;
        released = true;
        this.total--;
        if (uid !== 0) this.ofUsers--;
        const left = (this.byUid.get(uid) ?? 1) - 1;
        if (left === 0) this.byUid.delete(uid);
        else this.byUid.set(uid, left);
      },
    };
  }

  heldBy(uid: number): number {
    return this.byUid.get(uid) ?? 0;
  }

  get count(): number {
    return this.total;
  }
}
