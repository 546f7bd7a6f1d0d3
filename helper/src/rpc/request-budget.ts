// How much request text each non-root user has waiting for an answer. A request stays
// in memory, params and all, until polkit has answered and its handler is done, so a
// user who sends large requests faster than polkit answers (or while polkitd is slow)
// would grow the helper without bound; past its budget a request is refused at once.
// Root is never counted nor refused.

export const DEFAULT_REQUEST_BUDGET = 4 * 1024 * 1024;

export class RequestBudget {
  private readonly byUid = new Map<number, number>();

  constructor(private readonly perUid: number = DEFAULT_REQUEST_BUDGET) {}

  /** Takes `size` for a request of `uid`: the release (call it once answered), or null when over budget. */
  take(uid: number, size: number): (() => void) | null {
    if (uid === 0) return () => undefined;
    const held = this.byUid.get(uid) ?? 0;
    if (held + size > this.perUid) return null;
    this.byUid.set(uid, held + size);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.byUid.get(uid) ?? size) - size;
      if (left <= 0) this.byUid.delete(uid);
      else this.byUid.set(uid, left);
    };
  }

  heldBy(uid: number): number {
    return this.byUid.get(uid) ?? 0;
  }
}
