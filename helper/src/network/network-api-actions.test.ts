// Which polkit action guards each network method: reading is network.view (allowed to the
// active session), every change needs org.nova.network.manage (auth_admin_keep).
import { describe, expect, it } from 'vitest';
import { POLKIT_ACTIONS } from '../../../src-shared/actions.js';
import { networkMethods } from '../../../src-shared/api/network-api.js';

const READ_ONLY = ['network.list', 'network.get', 'network.leases', 'network.forwardList', 'network.suggestSubnet'];

describe('network methods and polkit', () => {
  it('serves reads under network.view and changes under network.manage', () => {
    for (const [name, method] of Object.entries(networkMethods)) {
      const want = READ_ONLY.includes(name) ? POLKIT_ACTIONS.networkView : POLKIT_ACTIONS.networkManage;
      expect({ name, action: method.served.action }).toEqual({ name, action: want });
    }
  });
});
