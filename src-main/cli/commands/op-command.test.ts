import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import type { NovaEvent } from '../../../src-shared/api/events.js';
import { NovaError } from '../../../src-shared/errors.js';
import type { Operation } from '../../../src-shared/operation.js';
import type { HelperClient } from '../../core/helper-client.js';
import type { CliContext } from '../cli-context.js';
import { formatAge, formatOperationDetails, formatOperationTable } from '../operation-format.js';
import { sampleOperation } from '../../../src-shared/testing/sample-operation.js';
import { parseResourceRef, passwdUserNames, registerOpCommand } from './op-command.js';

const NOW = Date.parse('2026-01-01T00:02:05.000Z');
const names = (uid: number) => (uid === 0 ? 'root' : null);

/** A disk import under way, 42 % through its conversion, started by root. */
function op(over: Partial<Operation> = {}, progress: Partial<Operation['progress']> = {}): Operation {
  return sampleOperation({ owner: { uid: 0, pid: 4242 }, ...over }, { fraction: 0.42, ...progress });
}

const failed = op(
  {
    id: 'ffff0001',
    kind: 'vm.snapshotCreate',
    resource: { kind: 'vm', name: 'web1' },
    title: "snapshot 'pre-upgrade'",
    state: 'failed',
    startedAt: '2026-01-01T00:01:00.000Z',
    finishedAt: '2026-01-01T00:01:03.000Z',
    error: { code: 'internal', message: 'qemu-img snapshot failed: No space left on device' },
    owner: { uid: 1000, pid: 77 },
  },
  { phase: 'saving the disks', fraction: null },
);

/** Runs `nova op …` against a fake helper that answers from `answer` and can emit events. */
async function run(argv: string[], answer: (method: string, params: unknown, emit: (e: NovaEvent) => void) => unknown) {
  let stdout = '';
  const calls: Array<[string, unknown]> = [];
  const listeners = new Set<(e: NovaEvent) => void>();
  const emit = (e: NovaEvent) => [...listeners].forEach((l) => l(e));
  const program = new Command('nova').option('--json', '', false).exitOverride().configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
  const ctx: CliContext = {
    io: { stdout: (t) => (stdout += t), stderr: () => undefined },
    globals: () => ({ socket: '', stateDir: '', json: program.opts<{ json: boolean }>().json, autostart: false }),
    connectHelper: async () =>
      ({
        call: async (method: string, params: unknown) => (calls.push([method, params]), answer(method, params, emit)),
        onEvent: (l: (e: NovaEvent) => void) => (listeners.add(l), () => listeners.delete(l)),
        close: () => undefined,
      }) as unknown as HelperClient,
  };
  registerOpCommand(program, ctx, { now: () => NOW, userName: names, waitMs: 200 });
  const harden = (c: Command) => {
    c.exitOverride().configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
    c.commands.forEach(harden);
  };
  harden(program);
  let error: unknown = null;
  await program.parseAsync(argv, { from: 'user' }).catch((e: unknown) => (error = e));
  return { stdout, calls, error, listeners };
}

describe('nova op ls', () => {
  it('prints a table of id, kind, resource, state, progress, age and owner', async () => {
    const r = await run(['op', 'ls'], () => ({ operations: [op({ cancelRequested: true }), failed] }));
    expect(r.error).toBeNull();
    expect(r.calls).toEqual([['operation.list', { state: 'all' }]]);
    expect(r.stdout).toBe(
      [
        'ID        KIND               RESOURCE    STATE       PROGRESS                                          AGE  OWNER',
        'abcd1234  image.import       image/base  cancelling  42% converting raw to qcow2                       2m   root',
        'ffff0001  vm.snapshotCreate  vm/web1     failed      internal: qemu-img snapshot failed: No space le…  1m   uid 1000',
        '',
      ].join('\n'),
    );
  });

  it('filters by state and resource, and prints the list as JSON', async () => {
    const r = await run(['op', 'ls', '--running', '--resource', 'vm/web1', '--json'], () => ({ operations: [op()] }));
    expect(r.calls).toEqual([['operation.list', { state: 'running', resource: { kind: 'vm', name: 'web1' } }]]);
    expect(JSON.parse(r.stdout)).toEqual([op()]);
  });

  it('says so when nothing runs', async () => {
    const r = await run(['op', 'ls'], () => ({ operations: [] }));
    expect(r.stdout).toBe('No operations running or recently finished.\n');
  });

  it('refuses a resource that is not KIND/NAME before asking the helper', async () => {
    const r = await run(['op', 'ls', '--resource', 'disk/x'], () => ({ operations: [] }));
    expect(r.error).toMatchObject({ code: 'commander.invalidArgument', message: expect.stringContaining('KIND one of vm, capsule, network, image, ociImage, project') });
    expect(r.calls).toEqual([]);
  });
});

describe('nova op show', () => {
  it('shows one operation in full, with its error when it failed', async () => {
    const r = await run(['op', 'show', 'ffff0001'], () => failed);
    expect(r.calls).toEqual([['operation.get', { id: 'ffff0001' }]]);
    expect(r.stdout).toBe(
      [
        "Operation ffff0001: snapshot 'pre-upgrade'",
        '  Kind:     vm.snapshotCreate',
        '  Resource: VM web1',
        '  State:    failed',
        '  Progress: internal: qemu-img snapshot failed: No space left on device',
        '  Started:  2026-01-01T00:01:00.000Z (1m ago) by uid 1000, pid 77',
        '  Finished: 2026-01-01T00:01:03.000Z (after 3s)',
        '  Error:    qemu-img snapshot failed: No space left on device [internal]',
        '',
      ].join('\n'),
    );
  });

  it('refuses an id that is not one, as a usage error', async () => {
    const r = await run(['op', 'show', '../x'], () => op());
    expect(r.error).toMatchObject({ code: 'commander.invalidArgument' });
    expect(r.calls).toEqual([]);
  });
});

describe('nova op cancel', () => {
  it('asks the helper to cancel and says so', async () => {
    const r = await run(['op', 'cancel', 'abcd1234'], () => op({ cancelRequested: true }));
    expect(r.calls).toEqual([['operation.cancel', { id: 'abcd1234' }]]);
    expect(r.stdout).toBe('cancelling abcd1234 (import of base.raw)\n');
    expect(r.error).toBeNull();
  });

  it('with --wait, returns once the operation has ended cancelled', async () => {
    const r = await run(['op', 'cancel', 'abcd1234', '--wait'], (_m, _p, emit) => {
      setTimeout(() => emit({ name: 'operation.changed', payload: op({ state: 'cancelled', cancelRequested: true, finishedAt: '2026-01-01T00:02:06.000Z' }) }), 5);
      return op({ cancelRequested: true });
    });
    expect(r.error).toBeNull();
    expect(r.stdout).toBe('abcd1234 (import of base.raw): cancelled\n');
    expect(r.listeners.size).toBe(0);
  });

  it('with --wait, fails when the operation finished first, and gives up after its bound', async () => {
    const late = await run(['op', 'cancel', 'abcd1234', '--wait'], (_m, _p, emit) => {
      setTimeout(() => emit({ name: 'operation.changed', payload: op({ state: 'succeeded', finishedAt: '2026-01-01T00:02:06.000Z' }) }), 5);
      return op({ cancelRequested: true, cancellable: false });
    });
    expect(late.error).toMatchObject({ code: 'failed_precondition', message: 'Operation abcd1234 ended succeeded before the cancel took effect' });
    const stuck = await run(['op', 'cancel', 'abcd1234', '--wait'], () => op({ cancelRequested: true }));
    expect(stuck.error).toMatchObject({ code: 'timeout' });
  });

  it("passes the helper's refusal on with its code", async () => {
    const r = await run(['op', 'cancel', 'abcd1234'], () => {
      throw new NovaError('failed_precondition', 'Operation abcd1234 (import of base.raw of Image base) already succeeded');
    });
    expect(r.error).toMatchObject({ code: 'failed_precondition' });
  });
});

describe('operation formatting', () => {
  it('writes ages as ps does', () => {
    expect(['2026-01-01T00:02:04.000Z', '2026-01-01T00:00:00.000Z', '2025-12-31T21:00:00.000Z', '2025-12-25T00:00:00.000Z'].map((t) => formatAge(t, NOW))).toEqual(['1s', '2m', '3h', '7d']);
  });

  it('shows a running operation with its bar, bytes and how a cancel would go', () => {
    const text = formatOperationDetails(op({ owner: null, cancellable: false }, { bytesDone: 1024, bytesTotal: 4096 }), NOW, names);
    expect(text).toContain('  State:    running (a cancel waits for the step under way)\n');
    expect(text).toContain('  Progress: converting raw to qcow2  [##########..............] 42%  1.0 KiB of 4.0 KiB\n');
    expect(text).toContain('by Nova\n');
  });

  it('keeps a long failure to one line in the table', () => {
    const long = op({ state: 'failed', error: { code: 'internal', message: 'line one\nline two '.repeat(10) } });
    expect(formatOperationTable([long], NOW, names).split('\n')).toHaveLength(3);
  });

  it('reads user names from a passwd file, first entry winning, and copes without one', () => {
    const lookup = passwdUserNames(() => 'root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/sh\nalias:x:1000:1000::/:/bin/sh\n');
    expect([lookup(0), lookup(1000), lookup(4242)]).toEqual(['root', 'alice', null]);
    expect(passwdUserNames(() => { throw new Error('EACCES'); })(0)).toBeNull();
  });

  it('parses resource references', () => {
    expect(parseResourceRef('ociImage/docker.io/library/alpine:3')).toEqual({ kind: 'ociImage', name: 'docker.io/library/alpine:3' });
    expect(() => parseResourceRef('vm/')).toThrow(/KIND\/NAME/);
    expect(() => parseResourceRef('web1')).toThrow(/KIND\/NAME/);
  });
});
