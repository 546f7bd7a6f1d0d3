import { describe, expect, it } from 'vitest';
import { POLKIT_ACTIONS } from '../actions.js';
import { parseSize, VmCreateSpecSchema, VmNameSchema } from '../vm.js';
import { METHOD_NAME_PATTERN } from './define.js';
import { vmMethods } from './vm-api.js';

describe('the VM contract', () => {
  it('names every method group.verb and serves it from the helper under org.nova.vm.manage', () => {
    for (const [name, def] of Object.entries(vmMethods)) {
      expect(name).toMatch(METHOD_NAME_PATTERN);
      expect(def.served).toEqual({ by: 'helper', action: POLKIT_ACTIONS.vmManage });
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

  it('parses sizes and refuses unknown units', () => {
    expect(parseSize('512Mi')).toBe(512 * 1024 * 1024);
    expect(parseSize('2G')).toBe(2 * 1024 ** 3);
    expect(parseSize('1.5Gi')).toBe(1.5 * 1024 ** 3);
    expect(parseSize('2048')).toBe(2048 * 1024 * 1024);
    expect(() => parseSize('16Zi')).toThrow(/unit "Zi" is not supported/);
    expect(() => parseSize('-1Gi')).toThrow(/not a number/);
    expect(() => parseSize('0')).toThrow(/greater than zero/);
  });
});
