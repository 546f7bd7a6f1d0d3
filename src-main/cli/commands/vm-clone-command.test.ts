import { describe, expect, it } from 'vitest';
import { NovaError } from '../../../src-shared/errors.js';
import type { NovaEvent } from '../../../src-shared/api/events.js';
import type { Operation } from '../../../src-shared/operation.js';
import type { HelperClient } from '../../core/helper-client.js';
import { runCli } from '../cli-program.js';

const op = (phase: string, fraction: number | null): Operation => ({
  id: 'abcd1234',
  kind: 'vm.clone',
  resource: { kind: 'vm', name: 'web1' },
  title: 'clone to web2',
  state: 'running',
  progress: { phase, fraction, bytesDone: null, bytesTotal: null },
  startedAt: '2026-12-01T00:00:00.000Z',
  finishedAt: null,
  error: null,
  owner: { uid: 1000, pid: 42 },
  cancellable: true,
  cancelRequested: false,
});

/** A helper that starts a clone operation, reports two phases, then answers or fails. */
function cloningHelper(calls: unknown[][], outcome: 'ok' | 'fail') {
  let listener: ((e: NovaEvent) => void) | null = null;
  const helper = {
    onEvent: (l: (e: NovaEvent) => void) => {
      listener = l;
      return () => (listener = null);
    },
    call: async (method: string, params: unknown, opts?: { onOperation?: (id: string) => void }) => {
      calls.push([method, params]);
      opts?.onOperation?.('abcd1234');
      listener?.({ name: 'operation.changed', payload: op('copying disk0 (1 of 2)', 0.5) } as NovaEvent);
      listener?.({ name: 'operation.changed', payload: op('copying disk1 (2 of 2)', 0.1) } as NovaEvent);
      if (outcome === 'fail') throw new NovaError('locked', 'VM web1 is busy: start (started 2 s ago by uid 1000)');
      return { definition: { name: 'web2', disks: [{}, {}] }, state: 'stopped' };
    },
    close: () => undefined,
  };
  return { connectHelper: async () => helper as unknown as HelperClient };
}

async function run(argv: string[], outcome: 'ok' | 'fail' = 'ok') {
  const calls: unknown[][] = [];
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) }, cloningHelper(calls, outcome));
  return { code, stdout, stderr, calls };
}

describe('nova vm clone', () => {
  it('runs vm.clone as an operation, shows its progress per disk on stderr and the result on stdout', async () => {
    const r = await run(['vm', 'clone', 'web1', 'web2', '--json']);
    expect(r.code).toBe(0);
    expect(r.calls).toEqual([['vm.clone', { source: 'web1', target: 'web2', linked: false }]]);
    const phases = r.stderr.trim().split('\n').map((l) => (JSON.parse(l) as { operation: Operation }).operation.progress.phase);
    expect(phases).toEqual(['copying disk0 (1 of 2)', 'copying disk1 (2 of 2)']);
    expect(JSON.parse(r.stdout)).toMatchObject({ definition: { name: 'web2' } });
  });

  it('asks for a linked clone with --linked and says what it made', async () => {
    const r = await run(['vm', 'clone', 'tmpl', 'web3', '--linked']);
    expect(r.calls).toEqual([['vm.clone', { source: 'tmpl', target: 'web3', linked: true }]]);
    expect(r.stdout).toBe('cloned tmpl to web3 (linked, 2 disks)\n');
  });

  it("fails with the helper's code and words", async () => {
    const r = await run(['vm', 'clone', 'web1', 'web2'], 'fail');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('nova: VM web1 is busy: start (started 2 s ago by uid 1000) [locked]');
  });

  it('needs both names', async () => {
    expect((await run(['vm', 'clone', 'web1'])).code).toBe(2);
  });
});

describe('nova vm clone --full and nova vm template', () => {
  it('--full asks for a full copy, and refuses to go with --linked', async () => {
    expect((await run(['vm', 'clone', 'web1', 'web2', '--full'])).calls).toEqual([['vm.clone', { source: 'web1', target: 'web2', linked: false }]]);
    expect((await run(['vm', 'clone', 'web1', 'web2', '--full', '--linked'])).code).toBe(2);
  });

  it('marks a VM a template, and --undo marks it back', async () => {
    const made = await run(['vm', 'template', 'tmpl']);
    expect(made.calls).toEqual([['vm.setTemplate', { name: 'tmpl', template: true }]]);
    expect(made.stdout).toBe('tmpl is a template: nova vm create NEW --from-template tmpl\n');
    const undone = await run(['vm', 'template', 'tmpl', '--undo']);
    expect(undone.calls).toEqual([['vm.setTemplate', { name: 'tmpl', template: false }]]);
    expect(undone.stdout).toBe('tmpl is an ordinary VM again\n');
  });
});
