import { describe, expect, it } from 'vitest';
import type { NovaEvent } from '../../src-shared/api/events.js';
import { NovaError } from '../../src-shared/errors.js';
import type { CallOptions } from '../core/helper-client.js';
import { callOperation, formatProgressLine, ProgressView } from './operation-call.js';
import { sampleOperation } from '../../src-shared/testing/sample-operation.js';

const op = sampleOperation;

/** A helper whose call starts operation abcd1234 and runs until cancelled, reporting progress. */
function fakeHelper() {
  const listeners = new Set<(e: NovaEvent) => void>();
  const calls: string[] = [];
  let rejectCall: (err: unknown) => void = () => undefined;
  const helper = {
    onEvent(l: (e: NovaEvent) => void) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    async call(method: string, params: unknown, opts: CallOptions = {}): Promise<never> {
      calls.push(`${method} ${JSON.stringify(params)}`);
      opts.onOperation?.('abcd1234');
      opts.signal?.addEventListener('abort', () => {
        calls.push('operation.cancel {"id":"abcd1234"}');
        rejectCall(new NovaError('cancelled', 'Import of base.raw of Image base was cancelled by uid 0'));
      });
      for (const l of listeners) l({ name: 'operation.changed', payload: op({ id: 'ffff0000' }) });
      for (const l of listeners) l({ name: 'operation.changed', payload: op({}, { fraction: 0.5 }) });
      return new Promise<never>((_, reject) => (rejectCall = reject));
    },
  };
  return { helper, calls, listeners };
}

describe('callOperation', () => {
  it("shows its own operation's progress and turns an interrupt into a cancel", async () => {
    const { helper, calls, listeners } = fakeHelper();
    let interrupt: () => void = () => undefined;
    let removed = false;
    let exited = false;
    const written: string[] = [];
    const p = callOperation(helper as never, 'image.import', { path: '/x/base.raw', name: 'base' }, {
      write: (t) => written.push(t),
      style: 'lines',
      onInterrupt: (h) => {
        interrupt = h;
        return () => (removed = true);
      },
      exitNow: () => (exited = true),
    });
    await new Promise((r) => setTimeout(r, 0));
    interrupt();
    await expect(p).rejects.toMatchObject({ code: 'cancelled', message: expect.stringMatching(/cancelled at your request/) });
    expect(calls).toEqual(['image.import {"path":"/x/base.raw","name":"base"}', 'operation.cancel {"id":"abcd1234"}']);
    expect(written).toEqual(['import of base.raw: converting raw to qcow2\n', 'cancelling (Ctrl+C again to leave at once)…\n']);
    expect(removed).toBe(true);
    expect(exited).toBe(false);
    expect(listeners.size).toBe(0);
  });

  it('leaves at once on a second interrupt', async () => {
    const { helper } = fakeHelper();
    let interrupt: () => void = () => undefined;
    let exited = false;
    const p = callOperation(helper as never, 'image.import', { path: '/x', name: 'b' }, {
      write: () => undefined,
      style: 'none',
      onInterrupt: (h) => ((interrupt = h), () => undefined),
      exitNow: () => (exited = true),
    });
    p.catch(() => undefined);
    await new Promise((r) => setTimeout(r, 0));
    interrupt();
    interrupt();
    expect(exited).toBe(true);
  });

  it('leaves after a short grace when the request started no operation to cancel', async () => {
    let finish: (v: unknown) => void = () => undefined;
    const helper = { onEvent: () => () => undefined, call: () => new Promise((r) => (finish = r)) };
    let interrupt: () => void = () => undefined;
    let exited = false;
    const written: string[] = [];
    const p = callOperation(helper as never, 'vm.stop', { name: 'web' }, {
      write: (t) => written.push(t),
      style: 'lines',
      onInterrupt: (h) => ((interrupt = h), () => undefined),
      exitNow: () => (exited = true),
      interruptGraceMs: 20,
    });
    interrupt();
    expect(exited).toBe(false);
    await new Promise((r) => setTimeout(r, 60));
    expect(exited).toBe(true);
    expect(written.join('')).toMatch(/started no operation to cancel/);
    finish({ graceful: true });
    await p;
  });

  it('waits for an operation named after the interrupt, and cancels that instead of leaving', async () => {
    let interrupt: () => void = () => undefined;
    let exited = false;
    const calls: string[] = [];
    // The interrupt lands before the helper has named the operation (it waits for a lock, say);
    // like HelperClient, the fake cancels an operation named after its signal was aborted.
    const helper = {
      onEvent: () => () => undefined,
      call: (_method: string, _params: unknown, opts: CallOptions = {}) => {
        interrupt();
        return new Promise((_, reject) =>
          setTimeout(() => {
            opts.onOperation?.('abcd1234');
            if (opts.signal?.aborted) calls.push('operation.cancel abcd1234');
            reject(new NovaError('cancelled', 'Import of b was cancelled'));
          }, 5),
        );
      },
    };
    const p = callOperation(helper as never, 'image.import', { path: '/x', name: 'b' }, {
      write: () => undefined,
      style: 'none',
      onInterrupt: (h) => ((interrupt = h), () => undefined),
      exitNow: () => (exited = true),
      interruptGraceMs: 20,
    });
    await expect(p).rejects.toMatchObject({ code: 'cancelled', message: expect.stringMatching(/cancelled at your request/) });
    await new Promise((r) => setTimeout(r, 60));
    expect(exited).toBe(false);
    expect(calls).toEqual(['operation.cancel abcd1234']);
  });

  it('passes other failures through untouched', async () => {
    const helper = {
      onEvent: () => () => undefined,
      call: async () => {
        throw new NovaError('not_found', 'no such file');
      },
    };
    await expect(callOperation(helper as never, 'image.import', { path: '/x', name: 'b' }, { write: () => undefined, style: 'bar', onInterrupt: () => () => undefined })).rejects.toMatchObject({ code: 'not_found' });
  });
});

describe('progress rendering', () => {
  it('draws a bar with percent and bytes, and says when a cancel waits for the step', () => {
    expect(formatProgressLine(op({}, { fraction: 0.42, bytesDone: 1288490189, bytesTotal: 3221225472 }))).toBe(
      'import of base.raw: converting raw to qcow2  [##########..............] 42%  1.2 GiB of 3.0 GiB',
    );
    expect(formatProgressLine(op({ cancelRequested: true, cancellable: false }))).toBe('import of base.raw: converting raw to qcow2  (cancelling after this step)');
  });

  it('keeps the bar within the terminal, so a carriage return still redraws it', () => {
    const written: string[] = [];
    new ProgressView((t) => written.push(t), 'bar', () => 40).show(op({}, { fraction: 0.5 }));
    expect(written[0]).toBe('\r\x1b[Kimport of base.raw: converting raw to …');
  });

  it('writes JSON lines with --json and one line per phase without a terminal', () => {
    const json: string[] = [];
    new ProgressView((t) => json.push(t), 'json').show(op());
    expect(JSON.parse(json[0]!)).toMatchObject({ operation: { id: 'abcd1234', state: 'running' } });
    const lines: string[] = [];
    const view = new ProgressView((t) => lines.push(t), 'lines');
    view.show(op({}, { fraction: 0.1 }));
    view.show(op({}, { fraction: 0.2 }));
    view.show(op({}, { phase: 'computing the checksum' }));
    expect(lines).toEqual(['import of base.raw: converting raw to qcow2\n', 'import of base.raw: computing the checksum\n']);
  });
});
