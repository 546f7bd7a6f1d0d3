import { describe, expect, it } from 'vitest';
import { firmwareOf, resolvePlatform } from './vm-platform.js';

describe('a new VM platform', () => {
  it('is BIOS without TPM by default, and Windows 11 gets Secure Boot, a TPM and Hyper-V', () => {
    expect(resolvePlatform({})).toEqual({ firmware: 'bios', tpm: false, hyperv: false });
    expect(resolvePlatform({ os: 'windows11' })).toEqual({ firmware: 'uefi-secure', tpm: true, hyperv: true });
    expect(resolvePlatform({ os: 'win11', tpm: false })).toEqual({ firmware: 'uefi-secure', tpm: false, hyperv: true });
  });

  it('takes secureBoot as a way to say uefi-secure', () => {
    expect(firmwareOf({ secureBoot: true })).toBe('uefi-secure');
    expect(firmwareOf({ firmware: 'uefi', secureBoot: true })).toBe('uefi-secure');
    expect(firmwareOf({ firmware: 'uefi' })).toBe('uefi');
  });

  it('refuses Secure Boot with BIOS, Windows 11 on BIOS, a contradiction, and UEFI or a TPM on microvm', () => {
    expect(() => resolvePlatform({ firmware: 'bios', secureBoot: true })).toThrow(/Secure Boot needs UEFI firmware, and firmware "bios" has none/);
    expect(() => resolvePlatform({ os: 'windows11', firmware: 'bios' })).toThrow(/Windows 11 needs UEFI with Secure Boot/);
    expect(() => resolvePlatform({ firmware: 'uefi-secure', secureBoot: false })).toThrow(/contradicts/);
    expect(() => resolvePlatform({ machine: 'microvm', firmware: 'uefi' })).toThrow(/no flash/);
    expect(() => resolvePlatform({ machine: 'microvm', tpm: true })).toThrow(/no TPM bus/);
  });
});
