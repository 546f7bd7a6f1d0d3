import { describe, expect, it } from 'vitest';
import { EMPTY_FORM, toSpec, validateForm, withDetectedOs } from './vm-create-form.js';

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

  it('fills the OS type, resources and Secure Boot from a detected Windows 11 ISO, keeping what the person changed', () => {
    const win11 = { os: 'windows11', name: 'Microsoft Windows 11', osType: 'windows' as const, cpus: 2, memoryMiB: 4096, diskMiB: 65536, minimum: { cpus: 2, memoryMiB: 4096, diskMiB: 65536 } };
    const form = withDetectedOs({ ...EMPTY_FORM, name: 'win', iso: '/srv/win11.iso', cpus: '6' }, win11, new Set(['cpus']));
    expect(form).toMatchObject({ os: 'windows11', osType: 'windows', cpus: '6', memory: '4Gi', diskSize: '64Gi', firmware: 'uefi-secure' });
    expect(toSpec(form)).toMatchObject({ os: 'windows11', firmware: 'uefi-secure', cpus: 6, memory: '4Gi', diskSize: '64Gi', iso: '/srv/win11.iso' });
    expect(validateForm(form)).toEqual({});
    // Another source leaves the ISO's profile out.
    expect(toSpec({ ...form, source: 'disk', image: '/srv/d.qcow2' }).os).toBeUndefined();
  });

  it('passes a driver ISO for the second CD drive with an ISO install only', () => {
    const form = { ...EMPTY_FORM, name: 'win', iso: '/srv/win11.iso', os: 'windows11', driverIso: ' /srv/virtio-win.iso ' };
    expect(validateForm(form)).toEqual({});
    expect(toSpec(form)).toMatchObject({ os: 'windows11', iso: '/srv/win11.iso', driverIso: '/srv/virtio-win.iso' });
    expect(toSpec({ ...form, driverIso: '' }).driverIso).toBeUndefined();
    expect(toSpec({ ...form, source: 'disk', image: '/srv/d.qcow2' }).driverIso).toBeUndefined();
  });

  it('offers Nova networks as nova:NAME', () => {
    const form = { ...EMPTY_FORM, name: 'nv3a-n', iso: '/x.iso', network: 'nova:lab' };
    expect(validateForm(form)).toEqual({});
    expect(toSpec(form).network).toEqual({ nova: 'lab' });
    expect(toSpec({ ...form, network: 'user' }).network).toBe('user');
    expect(validateForm({ ...form, network: 'nova:Bad Name' }).network).toBeDefined();
  });

  it('builds a cloud-init seed from hostname, user, password and SSH keys', () => {
    const form = {
      ...EMPTY_FORM,
      name: 'nv3a-c',
      source: 'cloud' as const,
      image: '/img/debian.qcow2',
      cloudHostname: 'web1',
      cloudUser: 'ops',
      cloudPassword: ' s3cret',
      cloudSshKeys: '# mine\nssh-ed25519 AAAAC3Nz me@host\n\n',
    };
    expect(validateForm(form)).toEqual({});
    expect(toSpec(form).cloudInit).toEqual({ hostname: 'web1', user: 'ops', password: ' s3cret', sshAuthorizedKeys: ['ssh-ed25519 AAAAC3Nz me@host'] });
    expect(toSpec({ ...form, source: 'disk' }).cloudInit).toBeUndefined();
  });

  it('puts cloud-init problems beside their own fields', () => {
    const form = { ...EMPTY_FORM, name: 'nv3a-c', source: 'cloud' as const, image: '/i.qcow2', cloudHostname: 'Bad_Host', cloudUser: '9ops', cloudSshKeys: 'ssh-ed25519 AAAA ok\nnot a key' };
    const errors = validateForm(form);
    expect(errors.cloudHostname).toMatch(/host name/);
    expect(errors.cloudUser).toMatch(/user name/);
    expect(errors.cloudSshKeys).toMatch(/^line 2: "not a key" is not an SSH public key/);
  });
});
