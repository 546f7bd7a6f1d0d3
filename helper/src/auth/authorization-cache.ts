// polkit's answers, kept briefly per (pid, start time, uid, action): a client that sends
// a thousand requests costs one pkcheck, and concurrent requests for the same check wait
// for the one under way. The subject is a process with its start time, never a bare
// pid, so a reused pid never inherits an answer. Denials are kept for less time than
// grants, so a rule added or a dialog answered takes effect quickly; checks that do run
// go through a CheckLimiter. Root is allowed at once and never waits behind anyone.
// Actions polkit grants only per request (`auth_admin`, not `_keep`) are asked every
// time: a grant of one of them is never reused, though denials still are.
import { POLKIT_ACTIONS, type PolkitAction } from '../../../src-shared/actions.js';
import { isNovaError } from '../../../src-shared/errors.js';
import type { Authorizer } from './authorizer.js';
import { CheckLimiter, DEFAULT_CHECK_LIMITS, type CheckLimits } from './check-limiter.js';
import type { Caller } from './peer-credentials.js';

export interface AuthorizationCacheOptions {
  allowedForMs: number;
  deniedForMs: number;
  /** Answers kept at most; the oldest go first. */
  maxEntries: number;
  /** Actions whose grants are never kept nor shared between requests. */
  askEveryTime: readonly PolkitAction[];
  limits: CheckLimits;
  now?: () => number;
}

export const DEFAULT_AUTHORIZATION_CACHE: AuthorizationCacheOptions = {
  allowedForMs: 5_000,
  deniedForMs: 2_000,
  maxEntries: 1024,
  askEveryTime: [POLKIT_ACTIONS.devicePassthrough],
  limits: DEFAULT_CHECK_LIMITS,
};

interface Answer {
  until: number;
  denial: Error | null;
}

export class CachingAuthorizer implements Authorizer {
  private readonly answers = new Map<string, Answer>();
  private readonly underway = new Map<string, Promise<void>>();
  private readonly limiter: CheckLimiter;
  private readonly now: () => number;

  constructor(
    private readonly polkit: Authorizer,
    private readonly options: AuthorizationCacheOptions = DEFAULT_AUTHORIZATION_CACHE,
  ) {
    this.limiter = new CheckLimiter(options.limits);
    this.now = options.now ?? Date.now;
  }

  async authorize(caller: Caller, action: PolkitAction): Promise<void> {
    // Root needs no check; a caller without a start time cannot be named to polkit, and is
    // denied by it without a pkcheck.
    if (caller.uid === 0 || caller.startTime === null) return this.polkit.authorize(caller, action);
    const key = `${caller.pid},${caller.startTime},${caller.uid},${action}`;
    const known = this.answers.get(key);
    if (known && known.until > this.now()) {
      if (known.denial) throw known.denial;
      return;
    }
    if (this.options.askEveryTime.includes(action)) return this.askEach(key, caller, action);
    let check = this.underway.get(key);
    if (!check) {
      check = this.limiter.run(caller.uid, () => this.polkit.authorize(caller, action)).then(
        () => this.remember(key, null),
        (err: unknown) => {
          // A polkit denial is an answer; a full queue is not, and the next request may try again.
          if (isNovaError(err, 'not_authorized')) this.remember(key, err);
          throw err;
        },
      );
      this.underway.set(key, check);
      const forget = () => this.underway.delete(key);
      check.then(forget, forget);
    }
    return check;
  }

  /** A check of its own for this request: only a denial is remembered. */
  private async askEach(key: string, caller: Caller, action: PolkitAction): Promise<void> {
    try {
      await this.limiter.run(caller.uid, () => this.polkit.authorize(caller, action));
    } catch (err) {
      if (isNovaError(err, 'not_authorized')) this.remember(key, err);
      throw err;
    }
  }

  private remember(key: string, denial: Error | null): void {
    this.answers.delete(key);
    if (this.answers.size >= this.options.maxEntries) this.evict();
    const ttl = denial ? this.options.deniedForMs : this.options.allowedForMs;
    this.answers.set(key, { until: this.now() + ttl, denial });
  }

  /** Drops expired answers, and the oldest one if none had expired. */
  private evict(): void {
    const now = this.now();
    for (const [key, answer] of this.answers) if (answer.until <= now) this.answers.delete(key);
    if (this.answers.size >= this.options.maxEntries) {
      const oldest = this.answers.keys().next();
      if (!oldest.done) this.answers.delete(oldest.value);
    }
  }
}
