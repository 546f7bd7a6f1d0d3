import { describe, expect, it } from 'vitest';
import { sampleVmDefinition } from '../../../src-shared/testing/sample-vm.js';
import type { VmDefinition, VmUpdateSpec } from '../../../src-shared/vm.js';
import { VmLayout } from './vm-layout.js';
import { platformUpdate } from './vm-platform-update.js';

const layout = new VmLayout('/state', '/run/nova');
const update = (def: VmDefinition, spec: Partial<VmUpdateSpec>, running = false) => platformUpdate(def, { name: def.name, ...spec }, running, layout);

describe('platformUpdate', () => {
  it('turns a BIOS VM into a Secure Boot one with a TPM and Hyper-V, nothing left to remove', () => {
    const r = update(sampleVmDefinition(), { firmware: 'uefi-secure', tpm: true, hyperv: true });
    expect(r.next).toMatchObject({ firmware: 'uefi-secure', tpm: true, hyperv: true });
    expect(r.stale).toEqual([]);
  });

  it('secureBoot alone moves plain UEFI to uefi-secure and back, the old variables to be replaced', () => {
    const uefi = sampleVmDefinition({ firmware: 'uefi' });
    expect(update(uefi, { secureBoot: true })).toEqual({ next: { ...uefi, firmware: 'uefi-secure' }, stale: ['/state/vms/web/OVMF_VARS.fd'] });
    const secure = sampleVmDefinition({ firmware: 'uefi-secure' });
    expect(update(secure, { secureBoot: false }).next.firmware).toBe('uefi');
  });

  it('removing the TPM drops its state; Hyper-V off leaves the field out, as older records have it', () => {
    const r = update(sampleVmDefinition({ firmware: 'uefi', tpm: true, hyperv: true }), { tpm: false, hyperv: false });
    expect(r.next).not.toHaveProperty('tpm');
    expect(r.next).not.toHaveProperty('hyperv');
    expect(r.stale).toEqual(['/state/vms/web/tpm']);
  });

  it('refuses a second TPM, Secure Boot on BIOS, and any of it while running, each saying what to do', () => {
    expect(() => update(sampleVmDefinition({ firmware: 'uefi', tpm: true }), { tpm: true })).toThrow(
      expect.objectContaining({ code: 'already_exists', message: 'VM web already has a TPM 2.0, and a VM has only one; its state is kept in /state/vms/web/tpm' }),
    );
    expect(() => update(sampleVmDefinition(), { secureBoot: true })).toThrow(
      expect.objectContaining({ code: 'invalid_argument', message: 'VM web has firmware "bios", which has no Secure Boot: set firmware "uefi-secure" instead' }),
    );
    expect(() => update(sampleVmDefinition({ firmware: 'uefi' }), { firmware: 'bios', secureBoot: true })).toThrow(expect.objectContaining({ code: 'invalid_argument', message: expect.stringMatching(/^Secure Boot needs UEFI firmware/) }));
    expect(() => update(sampleVmDefinition(), { hyperv: true }, true)).toThrow(expect.objectContaining({ code: 'failed_precondition', message: expect.stringMatching(/^VM web is running: stop it to change/) }));
  });

  it('refuses what vm-platform refuses at create: BIOS for Windows 11, a TPM on microvm', () => {
    expect(() => update(sampleVmDefinition({ os: 'windows11', firmware: 'uefi-secure' }), { firmware: 'bios' })).toThrow(expect.objectContaining({ message: expect.stringMatching(/^Windows 11 needs UEFI/) }));
    expect(() => update(sampleVmDefinition({ machine: 'microvm' }), { tpm: true })).toThrow(expect.objectContaining({ message: expect.stringMatching(/microvm" has no TPM bus/) }));
  });

  it('leaves a definition alone when nothing of the platform is asked, running or not', () => {
    const def = sampleVmDefinition({ tpm: true });
    expect(update(def, { cpus: 4 }, true)).toEqual({ next: def, stale: [] });
  });
});
