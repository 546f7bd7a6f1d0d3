import { describe, expect, it } from 'vitest';
import { NovaError } from '../../../src-shared/errors.js';
import { moveCapsule, moveStoppedVm, type ColdMovePeers } from './guest-cold-move.js';

const PEM = '-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n';
const SENT = { files: [{ path: 'disk0.qcow2', bytes: 100, sha256: 'a'.repeat(64) }], streamBytes: 60, ms: 5 };

/** Two fake helpers recording each call, in order, as "side method". */
function peers(fail: Partial<Record<string, Error>> = {}, capsuleState = 'stopped'): { calls: string[]; peers: ColdMovePeers } {
  const calls: string[] = [];
  const answers: Record<string, unknown> = {
    'vm.moveOffer': { definition: { name: 'web' }, disks: [{ id: 'disk0', format: 'qcow2', virtualSize: 1, flattened: true }], carried: ['UEFI variables'] },
    'vm.moveIncoming': { port: 4444, tls: { caCert: PEM, clientCert: PEM, clientKey: PEM } },
    'vm.moveSend': SENT,
    'vm.moveFinish': { state: 'stopped' },
    'capsule.get': { name: 'api', state: capsuleState },
    'capsule.moveOffer': { spec: { name: 'api' }, image: { name: 'alpine:latest', digest: 'sha256:1', sizeBytes: 1 }, rootfsMode: 'overlay', userNamespace: null, volumes: [] },
    'capsule.moveIncoming': { port: 4445, sendImage: true, tls: { caCert: PEM, clientCert: PEM, clientKey: PEM } },
    'capsule.moveSend': SENT,
    'capsule.moveFinish': { name: 'api', state: 'created' },
    'capsule.start': { name: 'api', state: 'running' },
  };
  const side = (name: string) => ({
    call: async (method: string, params: unknown) => {
      calls.push(`${name} ${method}`);
      if (method === 'vm.moveSend') expect(params).toMatchObject({ name: 'web', to: { host: '10.0.0.2', port: 4444 } });
      if (method === 'capsule.moveSend') expect(params).toMatchObject({ name: 'api', sendImage: true, to: { host: '10.0.0.2', port: 4445 } });
      if (method.endsWith('moveFinish')) expect(params).toMatchObject({ sent: SENT });
      const err = fail[`${name} ${method}`] ?? fail[method];
      if (err) throw err;
      return answers[method] ?? { ok: true };
    },
  });
  return { calls, peers: { source: side('source'), destination: side('destination') } as unknown as ColdMovePeers };
}

describe('moveStoppedVm', () => {
  it('removes the source only after the destination made the VM from files it checked', async () => {
    const { calls, peers: p } = peers();
    const report = await moveStoppedVm(p, { name: 'web', listen: '10.0.0.2' });
    expect(calls).toEqual(['source vm.moveOffer', 'destination vm.moveIncoming', 'source vm.moveSend', 'destination vm.moveFinish', 'source vm.moveComplete']);
    expect(report).toMatchObject({ files: 1, bytes: 100, streamBytes: 60, flattened: ['disk0'], vm: { state: 'stopped' } });
  });

  it('a refused offer makes nothing anywhere', async () => {
    const { calls, peers: p } = peers({ 'vm.moveOffer': new NovaError('failed_precondition', 'VM web is running') });
    await expect(moveStoppedVm(p, { name: 'web', listen: '10.0.0.2' })).rejects.toThrow('is running');
    expect(calls).toEqual(['source vm.moveOffer']);
  });

  it('a cancelled send discards what arrived, and the source keeps its VM', async () => {
    const { calls, peers: p } = peers({ 'vm.moveSend': new NovaError('cancelled', 'cancelled') });
    await expect(moveStoppedVm(p, { name: 'web', listen: '10.0.0.2' })).rejects.toThrow('cancelled');
    expect(calls.slice(2)).toEqual(['source vm.moveSend', 'destination vm.moveDiscard']);
  });

  it('a destination that finds the copy not whole is discarded and the source keeps its VM', async () => {
    const { calls, peers: p } = peers({ 'vm.moveFinish': new NovaError('failed_precondition', 'did not arrive whole') });
    await expect(moveStoppedVm(p, { name: 'web', listen: '10.0.0.2' })).rejects.toThrow('did not arrive whole');
    expect(calls.slice(3)).toEqual(['destination vm.moveFinish', 'destination vm.moveDiscard']);
    expect(calls).not.toContain('source vm.moveComplete');
  });
});

describe('moveCapsule', () => {
  it('moves a stopped capsule and says the image was sent', async () => {
    const { calls, peers: p } = peers();
    const report = await moveCapsule(p, { name: 'api', listen: '10.0.0.2', restart: false });
    expect(calls).toEqual(['source capsule.get', 'source capsule.moveOffer', 'destination capsule.moveIncoming', 'source capsule.moveSend', 'destination capsule.moveFinish', 'source capsule.moveComplete']);
    expect(report).toMatchObject({ imageSent: true, restarted: false, capsule: { state: 'created' } });
  });

  it('refuses a running capsule without restart, before any step', async () => {
    const { calls, peers: p } = peers({}, 'running');
    await expect(moveCapsule(p, { name: 'api', listen: '10.0.0.2', restart: false })).rejects.toThrow('stop it first, or move it with --restart');
    expect(calls).toEqual(['source capsule.get']);
  });

  it('with restart: stops it here, starts it there', async () => {
    const { calls, peers: p } = peers({}, 'running');
    const report = await moveCapsule(p, { name: 'api', listen: '10.0.0.2', restart: true });
    expect(calls[1]).toBe('source capsule.stop');
    expect(calls.at(-1)).toBe('destination capsule.start');
    expect(report).toMatchObject({ restarted: true, capsule: { state: 'running' } });
  });

  it('with restart: a failed move discards the destination and starts it here again', async () => {
    const { calls, peers: p } = peers({ 'capsule.moveSend': new NovaError('unavailable', 'connection lost') }, 'running');
    await expect(moveCapsule(p, { name: 'api', listen: '10.0.0.2', restart: true })).rejects.toThrow('connection lost');
    expect(calls.slice(-2)).toEqual(['destination capsule.moveDiscard', 'source capsule.start']);
    expect(calls).not.toContain('source capsule.moveComplete');
  });
});
