import { describe, expect, it } from 'vitest';
import { NovaError } from '../../../src-shared/errors.js';
import { migrateVm, type MigrationPeers } from './vm-migration.js';

const PEM = '-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n';

/** Two fake helpers recording each call, in order, as "side method". */
function peers(fail: Partial<Record<string, Error>> = {}, finishState = 'running'): { calls: string[]; peers: MigrationPeers } {
  const calls: string[] = [];
  const answers: Record<string, unknown> = {
    'vm.migrateOffer': { definition: { name: 'web', memoryMiB: 256 }, machineType: 'pc-q35-7.2', accel: 'tcg', disks: [] },
    'vm.migrateIncoming': { migrationPort: 4444, nbdPort: 5555, tls: { caCert: PEM, clientCert: PEM, clientKey: PEM } },
    'vm.migrateSend': { downtimeMs: 30, totalMs: 1000, diskBytes: 1, ramBytes: 2 },
    'vm.migrateFinish': { state: finishState },
  };
  const side = (name: string) => ({
    call: async (method: string, params: unknown) => {
      calls.push(`${name} ${method}`);
      if (method === 'vm.migrateSend') expect(params).toMatchObject({ to: { host: '10.0.0.2', migrationPort: 4444, nbdPort: 5555 } });
      const err = fail[method];
      if (err) throw err;
      return answers[method] ?? { ok: true };
    },
  });
  return { calls, peers: { source: side('source'), destination: side('destination') } as unknown as MigrationPeers };
}

const req = { name: 'web', listen: '10.0.0.2', postcopy: false };

describe('migrateVm', () => {
  it('removes the source only after the destination runs the guest', async () => {
    const { calls, peers: p } = peers();
    const report = await migrateVm(p, req);
    expect(calls).toEqual(['source vm.migrateOffer', 'destination vm.migrateIncoming', 'source vm.migrateSend', 'destination vm.migrateFinish', 'source vm.migrateComplete']);
    expect(report.downtimeMs).toBe(30);
  });

  it('a refused offer makes nothing anywhere', async () => {
    const { calls, peers: p } = peers({ 'vm.migrateOffer': new NovaError('failed_precondition', 'passed device') });
    await expect(migrateVm(p, req)).rejects.toThrow('passed device');
    expect(calls).toEqual(['source vm.migrateOffer']);
  });

  it('a failed or cancelled send discards the destination, and the source keeps its VM', async () => {
    const { calls, peers: p } = peers({ 'vm.migrateSend': new NovaError('cancelled', 'cancelled') });
    await expect(migrateVm(p, req)).rejects.toThrow('cancelled');
    expect(calls).toEqual(['source vm.migrateOffer', 'destination vm.migrateIncoming', 'source vm.migrateSend', 'destination vm.migrateDiscard']);
  });

  it('a destination that does not run the guest is discarded and the source resumes it', async () => {
    const { calls, peers: p } = peers({}, 'paused');
    await expect(migrateVm(p, req)).rejects.toThrow('is paused on the destination');
    expect(calls.slice(3)).toEqual(['destination vm.migrateFinish', 'destination vm.migrateDiscard', 'source vm.resume']);
    expect(calls).not.toContain('source vm.migrateComplete');
  });
});
