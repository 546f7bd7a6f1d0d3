import { describe, expect, it } from 'vitest';
import type { CallContext } from './handler-table.js';
import { checkGuestNetns } from './network-methods.js';

const as = (uid: number): CallContext => ({ caller: { uid, gid: uid, pid: 4242, startTime: '1' } });
const capsules = (netns: string) => netns === 'nova-web';

describe('checkGuestNetns', () => {
  it("lets any caller name a capsule's namespace", () => {
    expect(() => checkGuestNetns('nova-web', as(1000), capsules)).not.toThrow();
  });

  it('refuses any other namespace to a caller other than root, naming it', () => {
    expect(() => checkGuestNetns('vpn', as(1000), capsules)).toThrow(expect.objectContaining({ code: 'not_authorized', message: expect.stringContaining('"vpn"') }));
    expect(() => checkGuestNetns('nova-other', as(65534), capsules)).toThrow(expect.objectContaining({ code: 'not_authorized' }));
  });

  it('lets root name any namespace (it could use ip itself)', () => {
    expect(() => checkGuestNetns('vpn', as(0), capsules)).not.toThrow();
  });
});
