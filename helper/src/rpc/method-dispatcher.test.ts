import { describe, expect, it } from 'vitest';
import type { PolkitAction } from '../../../src-shared/actions.js';
import { NovaError, toErrorShape } from '../../../src-shared/errors.js';
import type { Authorizer } from '../auth/authorizer.js';
import type { Caller } from '../auth/peer-credentials.js';
import type { CallContext, HelperHandlers } from '../methods/handler-table.js';
import { MethodDispatcher } from './method-dispatcher.js';

const nobody: Caller = { pid: 10, uid: 65534, gid: 65534, startTime: '1' };
const user: Caller = { pid: 11, uid: 1000, gid: 1000, startTime: '1' };

function dispatcher() {
  const asked: Array<[number, PolkitAction]> = [];
  const handled: Array<[string, unknown]> = [];
  const authorizer: Authorizer = {
    async authorize(caller, action) {
      asked.push([caller.uid, action]);
      if (caller.uid === nobody.uid) throw new NovaError('not_authorized', `Not authorized: ${action}`);
    },
  };
  const handler = (name: string) => async (params: unknown, ctx: CallContext) => {
    handled.push([name, params]);
    ctx.subscribeEvents?.();
    return {};
  };
  // Only the methods these tests call are served; the dispatcher looks them up by name.
  const handlers = { 'helper.ping': handler('helper.ping'), 'capsule.exec': handler('capsule.exec'), 'events.subscribe': handler('events.subscribe') };
  return { d: new MethodDispatcher(handlers as unknown as HelperHandlers, authorizer), asked, handled };
}

const failure = (p: Promise<unknown>) => p.then(() => null, (e: unknown) => toErrorShape(e));

describe('MethodDispatcher', () => {
  it('authorizes before it validates: a caller polkit refuses learns nothing about the params', async () => {
    const { d, asked, handled } = dispatcher();
    const bad = { name: 'x', command: Array.from({ length: 4000 }, () => 1) };
    const shape = await failure(d.dispatch('capsule.exec', bad, { caller: nobody }));
    expect(shape?.code).toBe('not_authorized');
    expect(JSON.stringify(shape)).not.toContain('command');
    expect(asked).toEqual([[65534, 'org.nova.capsule.manage']]);
    expect(handled).toEqual([]);
  });

  it('validates an authorized caller, reporting a few issues, never the whole request', async () => {
    const { d, handled } = dispatcher();
    const shape = await failure(d.dispatch('capsule.exec', { name: 'x', command: Array.from({ length: 4000 }, () => 1) }, { caller: user }));
    expect(shape?.code).toBe('invalid_argument');
    expect(JSON.stringify(shape).length).toBeLessThan(1024);
    expect(handled).toEqual([]);
  });

  it('refuses methods outside the allow-list without asking polkit, and echoes only a plausible name', async () => {
    const { d, asked } = dispatcher();
    expect(await failure(d.dispatch('system.exec', {}, { caller: nobody }))).toMatchObject({ code: 'unknown_method', message: 'Unknown method "system.exec"' });
    const huge = `x.${'y'.repeat(100_000)}`;
    const shape = await failure(d.dispatch(huge, {}, { caller: nobody }));
    expect(shape?.code).toBe('unknown_method');
    expect(JSON.stringify(shape).length).toBeLessThan(200);
    expect(asked).toEqual([]);
  });

  it("hands the handler the caller's context, so events.subscribe can mark its connection", async () => {
    const { d } = dispatcher();
    let subscribed = false;
    await d.dispatch('events.subscribe', {}, { caller: user, subscribeEvents: () => (subscribed = true) });
    expect(subscribed).toBe(true);
  });

  it('runs nothing for a caller who hung up while polkit was deciding', async () => {
    const { d, asked, handled } = dispatcher();
    let open = true;
    const ctx: CallContext = { caller: user, isConnected: () => open };
    const slow = d.dispatch('helper.ping', { payload: 'x' }, { ...ctx, caller: user });
    open = false;
    expect(await failure(slow)).toMatchObject({ code: 'cancelled', message: 'helper.ping was not run: the caller hung up while it was being authorized' });
    expect(asked).toEqual([[1000, 'org.nova.host.inspect']]);
    expect(handled).toEqual([]);
  });
});
