import { describe, expect, it } from 'vitest';
import { EMPTY_FORM, toSpec, validateForm } from './vm-create-form.js';

describe('the create wizard form', () => {
  it('uses the contract schema messages for names, CPUs and sizes', () => {
    const errors = validateForm({ ...EMPTY_FORM, name: 'bad/name', cpus: '0', memory: '16Zi', iso: '/x.iso' });
    expect(errors.name).toMatch(/lowercase letters/);
    expect(errors.cpus).toMatch(/at least one CPU/);
    expect(errors.memory).toMatch(/unit "Zi" is not supported/);
  });

  it('asks for what each source needs', () => {
    expect(validateForm({ ...EMPTY_FORM, name: 'a' }).iso).toBeDefined();
    expect(validateForm({ ...EMPTY_FORM, name: 'a', source: 'disk' }).image).toBeDefined();
    expect(validateForm({ ...EMPTY_FORM, name: 'a', source: 'kernel' }).kernel).toBeDefined();
  });

  it('turns a direct-kernel form into a spec with only that source', () => {
    const form = { ...EMPTY_FORM, name: 'nv3u-k', source: 'kernel' as const, kernel: '/k/vmlinux', initrd: '/k/initrd', iso: '/ignored.iso', diskSize: '' };
    expect(validateForm(form)).toEqual({});
    expect(toSpec(form)).toMatchObject({ name: 'nv3u-k', kernel: '/k/vmlinux', initrd: '/k/initrd', cmdline: 'console=tty0 console=ttyS0', cpus: 1 });
    expect(toSpec(form).iso).toBeUndefined();
    expect(toSpec(form).diskSize).toBeUndefined();
  });
});
