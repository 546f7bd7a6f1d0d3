import { describe, expect, it } from 'vitest';
import { isValidName, nameProblem, parseName, type NameKind } from './resource-name.js';
import { message, value } from './test-helpers.js';

describe('resource names', () => {
  it.each<[NameKind, string]>([
    ['vm', 'win11'],
    ['vm', 'a'.repeat(63)],
    ['capsule', 'api_1'],
    ['network', 'nova-net_2'],
    ['network', 'a'.repeat(15)],
    ['vm-snapshot', 'snap-2026-01-02T03-04-05-123Z'],
    ['vm-snapshot', 'before.upgrade'],
    ['capsule-snapshot', 'snap-20260105-070809'],
    ['vm-image', 'debian-12.qcow2'],
    ['oci-image', 'nv5-busybox:1.36'],
    ['oci-image', 'web'],
    ['attachment', 'web_1'],
  ])('accepts the %s name %j', (kind, name) => {
    expect(nameProblem(kind, name)).toBeUndefined();
    expect(isValidName(kind, name)).toBe(true);
  });

  it.each<[NameKind, string, string]>([
    ['capsule', '', 'empty'],
    ['capsule', 'a/b', 'contains "/"'],
    ['capsule', '..', 'contains ".."'],
    ['capsule', 'web..1', 'contains ".."'],
    ['capsule', 'my vm', 'contains a space'],
    ['capsule', '-web', 'starts with "-"'],
    ['capsule', 'web.1', 'contains "."'],
    ['capsule', 'Web', 'write it in lowercase: "web"'],
    ['capsule', 'a'.repeat(64), 'the limit is 63'],
    ['vm', 'my_vm', 'contains "_"; use lowercase letters, digits and "-", starting with a letter or digit (e.g. "my-vm")'],
    ['network', 'laboratory-net12', 'the limit is 15 (network names become Linux interface names), as the kernel allows at most 15 characters'],
    ['capsule-snapshot', 'Before', 'lowercase'],
    ['vm-snapshot', '.hidden', 'starts with "."'],
    ['vm-image', 'a/b', 'contains "/"'],
    ['oci-image', 'Web:1', 'write it in lowercase: "web:1"'],
    ['oci-image', 'web:', 'is not a valid name; use lowercase letters, digits, ".", "_" and "-", and an optional ":tag"'],
  ])('refuses the %s name %j', (kind, name, fragment) => {
    expect(nameProblem(kind, name)).toContain(fragment);
    expect(isValidName(kind, name)).toBe(false);
  });

  it('introduces the message with the kind', () => {
    expect(message(parseName('vm', 'a/b'))).toMatch(/^vm name "a\/b" contains "\/"/);
    expect(message(parseName('capsule', 'Bad Name'))).toMatch(/^capsule name "Bad Name" contains a space/);
    expect(message(parseName('network', 5))).toBe('expected the name of a network, got 5');
    expect(value(parseName('network', 'lan'))).toBe('lan');
  });
});
