import { describe, expect, it } from 'vitest';
import { POLKIT_ACTIONS } from '../actions.js';
import { VmCreateSpecSchema, VmNameSchema } from '../vm.js';
import { METHOD_NAME_PATTERN } from './define.js';
import { vmMethods } from './vm-api.js';

describe('the VM contract', () => {
  it('names every method group.verb and serves it from the helper under org.nova.vm.view or org.nova.vm.manage', () => {
    const views = ['vm.list', 'vm.get', 'vm.snapshotList', 'vm.snapshotPolicyGet', 'vm.snapshotPolicyList', 'vm.metrics', 'vm.logs', 'vm.showCommand', 'image.list'];
    for (const [name, def] of Object.entries(vmMethods)) {
      expect(name).toMatch(METHOD_NAME_PATTERN);
      expect(def.served).toEqual({ by: 'helper', action: views.includes(name) ? POLKIT_ACTIONS.vmView : POLKIT_ACTIONS.vmManage });
    }
  });

  it('refuses unknown properties, as every boundary must', () => {
    expect(vmMethods['vm.stop'].params.safeParse({ name: 'a', bogus: 1 }).success).toBe(false);
    expect(vmMethods['vm.stop'].params.parse({ name: 'a' })).toEqual({ name: 'a', force: false, timeoutMs: 30_000 });
  });

  it.each(['a/b', '..', 'a b', 'A', '-a', 'x'.repeat(64), ''])('refuses the VM name %j', (name) => {
    expect(VmNameSchema.safeParse(name).success).toBe(false);
  });

  it('accepts 63-character names', () => {
    expect(VmNameSchema.safeParse('a'.repeat(63)).success).toBe(true);
  });

  it('refuses zero CPUs with a message a person understands', () => {
    const r = VmCreateSpecSchema.safeParse({ name: 'a', cpus: 0 });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.message).toMatch(/at least one CPU/);
  });

  it('parses sizes to MiB and refuses unknown units, with the vocabulary\'s messages', () => {
    const memory = (m: string | number) => VmCreateSpecSchema.safeParse({ name: 'a', memory: m });
    expect(memory('512Mi').data?.memory).toBe(512);
    expect(memory('2G').data?.memory).toBe(2048);
    expect(memory('2GiB').data?.memory).toBe(2048);
    expect(memory('1.5Gi').data?.memory).toBe(1536);
    expect(memory('2048').data?.memory).toBe(2048);
    expect(memory(2048).data?.memory).toBe(2048);
    expect(VmCreateSpecSchema.parse({ name: 'a' }).memory).toBe(512);
    expect(memory('16Zi').error?.issues[0]?.message).toMatch(/unit "Zi" is not supported/);
    expect(memory('-1Gi').error?.issues[0]?.message).toMatch(/is not a memory size/);
    expect(memory('8Mi').error?.issues[0]?.message).toMatch(/at least 16 MiB/);
    expect(VmCreateSpecSchema.safeParse({ name: 'a', diskSize: 'lots' }).error?.issues[0]?.message).toMatch(/disk size/);
  });
});
