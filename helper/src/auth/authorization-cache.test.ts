import { describe, expect, it } from 'vitest';
import type { PolkitAction } from '../../../src-shared/actions.js';
import { isNovaError, NovaError } from '../../../src-shared/errors.js';
import { CachingAuthorizer, DEFAULT_AUTHORIZATION_CACHE } from './authorization-cache.js';
import type { Authorizer } from './authorizer.js';
import { CheckLimiter } from './check-limiter.js';
import type { Caller } from './peer-credentials.js';

const VIEW: PolkitAction = 'org.nova.host.inspect';
const MANAGE: PolkitAction = 'org.nova.vm.manage';
const PASSTHROUGH: PolkitAction = 'org.nova.device.passthrough';
const caller = (pid: number, uid = 1000, startTime: string | null = `${pid}00`): Caller => ({ pid, uid, gid: uid, startTime });

/** A polkit that answers when told to, counting its checks. */
function fakePolkit(answer: (c: Caller, a: PolkitAction) => boolean) {
  const calls: string[] = [];
  const open: Array<() => void> = [];
  let held = false;
  const polkit: Authorizer = {
    async authorize(c, a) {
      // As PolkitAuthorizer: root is allowed without asking.
      if (c.uid === 0) return;
      calls.push(`${c.pid}:${a}`);
      if (held) await new Promise<void>((r) => open.push(r));
      if (!answer(c, a)) throw new NovaError('not_authorized', `Not authorized: ${a}`);
    },
  };
  return {
    polkit,
    calls,
    hold: () => (held = true),
    release: () => {
      held = false;
      for (const r of open.splice(0)) r();
    },
  };
}

const settle = (p: Promise<unknown>) => p.then(() => 'allowed', (e: unknown) => (isNovaError(e) ? e.code : 'other'));

describe('CachingAuthorizer', () => {
  it('asks polkit once per process and action while the answer is fresh', async () => {
    const { polkit, calls } = fakePolkit(() => true);
    const auth = new CachingAuthorizer(polkit);
    for (let i = 0; i < 50; i++) await auth.authorize(caller(10), VIEW);
    await auth.authorize(caller(10), MANAGE);
    await auth.authorize(caller(11), VIEW);
    expect(calls).toEqual(['10:org.nova.host.inspect', '10:org.nova.vm.manage', '11:org.nova.host.inspect']);
  });

  it('keeps denials too, for less time than grants, and asks again after', async () => {
    let now = 0;
    let allow = false;
    const { polkit, calls } = fakePolkit(() => allow);
    const auth = new CachingAuthorizer(polkit, { ...DEFAULT_AUTHORIZATION_CACHE, allowedForMs: 5_000, deniedForMs: 2_000, now: () => now });
    expect(await settle(auth.authorize(caller(10), VIEW))).toBe('not_authorized');
    allow = true;
    now = 1_999;
    expect(await settle(auth.authorize(caller(10), VIEW))).toBe('not_authorized');
    now = 2_000;
    expect(await settle(auth.authorize(caller(10), VIEW))).toBe('allowed');
    allow = false;
    now = 6_999;
    expect(await settle(auth.authorize(caller(10), VIEW))).toBe('allowed');
    now = 7_000;
    expect(await settle(auth.authorize(caller(10), VIEW))).toBe('not_authorized');
    expect(calls).toHaveLength(3);
  });

  it('never lets a reused pid inherit an answer: the start time is part of the subject', async () => {
    const { polkit, calls } = fakePolkit((c) => c.startTime === 'old');
    const auth = new CachingAuthorizer(polkit);
    await auth.authorize(caller(10, 1000, 'old'), VIEW);
    expect(await settle(auth.authorize(caller(10, 1000, 'new'), VIEW))).toBe('not_authorized');
    expect(calls).toHaveLength(2);
  });

  it('makes concurrent requests for the same check share one polkit question', async () => {
    const fake = fakePolkit(() => true);
    fake.hold();
    const auth = new CachingAuthorizer(fake.polkit);
    const all = Promise.all(Array.from({ length: 100 }, () => auth.authorize(caller(10), VIEW)));
    await new Promise((r) => setTimeout(r, 10));
    fake.release();
    await all;
    expect(fake.calls).toHaveLength(1);
  });

  it('lets root through at once even while every check slot is taken', async () => {
    const fake = fakePolkit(() => true);
    fake.hold();
    const auth = new CachingAuthorizer(fake.polkit);
    const waiting = Array.from({ length: 8 }, (_, i) => auth.authorize(caller(100 + i, 1000 + i), VIEW));
    await auth.authorize(caller(1, 0), MANAGE);
    fake.release();
    await Promise.all(waiting);
  });

  it('does not keep a refusal for a full queue: the next request asks again', async () => {
    const fake = fakePolkit(() => true);
    fake.hold();
    const limits = { perCaller: 1, overall: 1, waitingPerCaller: 1, maxWaitMs: 10_000 };
    const auth = new CachingAuthorizer(fake.polkit, { ...DEFAULT_AUTHORIZATION_CACHE, limits });
    const first = auth.authorize(caller(10), VIEW);
    const second = auth.authorize(caller(11), VIEW);
    expect(await settle(auth.authorize(caller(12), VIEW))).toBe('unavailable');
    fake.release();
    await Promise.all([first, second]);
    await auth.authorize(caller(12), VIEW);
  });

  it('asks polkit on every request for an action it grants only per request, but keeps its denials', async () => {
    let allow = true;
    const { polkit, calls } = fakePolkit(() => allow);
    const auth = new CachingAuthorizer(polkit);
    await Promise.all([auth.authorize(caller(1), PASSTHROUGH), auth.authorize(caller(1), PASSTHROUGH)]);
    await auth.authorize(caller(1), PASSTHROUGH);
    expect(calls).toEqual([`1:${PASSTHROUGH}`, `1:${PASSTHROUGH}`, `1:${PASSTHROUGH}`]);
    allow = false;
    expect(await settle(auth.authorize(caller(1), PASSTHROUGH))).toBe('not_authorized');
    expect(await settle(auth.authorize(caller(1), PASSTHROUGH))).toBe('not_authorized');
    expect(calls).toHaveLength(4);
  });

  it('keeps at most maxEntries answers', async () => {
    const { polkit, calls } = fakePolkit(() => true);
    const auth = new CachingAuthorizer(polkit, { ...DEFAULT_AUTHORIZATION_CACHE, maxEntries: 3 });
    for (const pid of [1, 2, 3, 4]) await auth.authorize(caller(pid), VIEW);
    await auth.authorize(caller(1), VIEW);
    expect(calls.filter((c) => c.startsWith('1:'))).toHaveLength(2);
    await auth.authorize(caller(4), VIEW);
    expect(calls.filter((c) => c.startsWith('4:'))).toHaveLength(1);
  });
});

describe('CheckLimiter', () => {
  function gate() {
    let open!: () => void;
    const opened = new Promise<void>((r) => (open = r));
    return { open, opened };
  }

  it('runs at most perCaller checks of one uid and overall checks in all, oldest waiter first', async () => {
    const limiter = new CheckLimiter({ perCaller: 2, overall: 3, waitingPerCaller: 10, maxWaitMs: 10_000 });
    const order: string[] = [];
    let peak = 0;
    let peakOfA = 0;
    let runningA = 0;
    const gates = new Map<string, ReturnType<typeof gate>>();
    const job = (uid: number, name: string) => {
      const g = gate();
      gates.set(name, g);
      return limiter.run(uid, async () => {
        order.push(name);
        peak = Math.max(peak, limiter.active);
        if (uid === 1) peakOfA = Math.max(peakOfA, ++runningA);
        await g.opened;
        if (uid === 1) runningA--;
      });
    };
    const jobs = [job(1, 'a1'), job(1, 'a2'), job(1, 'a3'), job(2, 'b1'), job(3, 'c1')];
    await new Promise((r) => setTimeout(r, 5));
    expect(order).toEqual(['a1', 'a2', 'b1']);
    gates.get('a1')!.open();
    await new Promise((r) => setTimeout(r, 5));
    expect(order).toEqual(['a1', 'a2', 'b1', 'a3']);
    for (const g of gates.values()) g.open();
    await Promise.all(jobs);
    expect(order).toEqual(['a1', 'a2', 'b1', 'a3', 'c1']);
    expect(peak).toBe(3);
    expect(peakOfA).toBe(2);
  });

  it('refuses at once past waitingPerCaller, and after maxWaitMs in the queue', async () => {
    const limiter = new CheckLimiter({ perCaller: 1, overall: 1, waitingPerCaller: 1, maxWaitMs: 30 });
    const g = gate();
    const running = limiter.run(1, () => g.opened);
    const queued = settle(limiter.run(1, async () => undefined));
    expect(await settle(limiter.run(1, async () => undefined))).toBe('unavailable');
    expect(await queued).toBe('unavailable');
    g.open();
    await running;
    expect(limiter.active).toBe(0);
    await limiter.run(1, async () => undefined);
  });
});
