import { describe, expect, it } from 'vitest';
import type { NovaEvent } from '../../../src-shared/api/events.js';
import { NovaError } from '../../../src-shared/errors.js';
import { importVmImage } from './vm-image-import.js';

/** A helper whose import runs until cancelled, reporting progress on the way. */
function fakeHelper() {
  const listeners = new Set<(e: NovaEvent) => void>();
  const calls: string[] = [];
  let rejectImport: (err: unknown) => void = () => undefined;
  const helper = {
    onEvent(l: (e: NovaEvent) => void) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    async call(method: string, params: unknown): Promise<never> {
      calls.push(`${method} ${JSON.stringify(params)}`);
      if (method === 'image.importCancel') {
        rejectImport(new NovaError('cancelled', 'import was cancelled'));
        return { cancelled: true } as never;
      }
      for (const l of listeners) l({ name: 'image.importProgressed', payload: { name: 'other', percent: 50 } });
      for (const l of listeners) l({ name: 'image.importProgressed', payload: { name: 'base', percent: 12 } });
      return new Promise<never>((_, reject) => (rejectImport = reject));
    },
  };
  return { helper, calls, listeners };
}

describe('importVmImage', () => {
  it('reports its own progress and turns an interrupt into image.importCancel', async () => {
    const { helper, calls, listeners } = fakeHelper();
    let interrupt: () => void = () => undefined;
    let removed = false;
    const progress: number[] = [];
    const p = importVmImage(helper as never, { path: '/x/base.raw', name: 'base' }, {
      onProgress: (n) => progress.push(n),
      onInterrupt: (h) => {
        interrupt = h;
        return () => (removed = true);
      },
    });
    await new Promise((r) => setTimeout(r, 0));
    interrupt();
    interrupt();
    await expect(p).rejects.toMatchObject({ code: 'cancelled', message: expect.stringMatching(/kept nothing/) });
    expect(progress).toEqual([12]);
    expect(calls).toEqual(['image.import {"path":"/x/base.raw","name":"base"}', 'image.importCancel {"name":"base"}']);
    expect(removed).toBe(true);
    expect(listeners.size).toBe(0);
  });

  it('passes other failures through untouched', async () => {
    const helper = {
      onEvent: () => () => undefined,
      call: async () => {
        throw new NovaError('not_found', 'no such file');
      },
    };
    await expect(importVmImage(helper as never, { path: '/x', name: 'b' }, { onInterrupt: () => () => undefined })).rejects.toMatchObject({ code: 'not_found' });
  });
});
