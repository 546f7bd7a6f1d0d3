// `nova image import` of a VM disk, ISO, kernel or initrd: shows the helper's conversion
// progress and turns Ctrl+C into image.importCancel, so the helper stops qemu-img and
// removes the partial file instead of finishing an import nobody waits for.
import { NovaError, isNovaError } from '../../../src-shared/errors.js';
import type { Image } from '../../../src-shared/vm.js';
import type { HelperClient } from '../../core/helper-client.js';

export interface VmImageImportOptions {
  /** Whole percents as the helper reports them. */
  onProgress?: (percent: number) => void;
  /** Registers the interrupt handler and returns its removal; Ctrl+C (SIGINT) by default. */
  onInterrupt?: (handler: () => void) => () => void;
}

const sigint = (handler: () => void): (() => void) => {
  process.on('SIGINT', handler);
  return () => process.off('SIGINT', handler);
};

export async function importVmImage(
  h: Pick<HelperClient, 'call' | 'onEvent'>,
  req: { path: string; name: string },
  opts: VmImageImportOptions = {},
): Promise<Image> {
  let interrupted = false;
  const offEvents = h.onEvent((e) => {
    if (e.name === 'image.importProgressed' && e.payload.name === req.name) opts.onProgress?.(e.payload.percent);
  });
  const offInterrupt = (opts.onInterrupt ?? sigint)(() => {
    if (interrupted) return; // a second Ctrl+C while the helper cleans up changes nothing
    interrupted = true;
    // The pending import call rejects with `cancelled` once the helper has cleaned up.
    h.call('image.importCancel', { name: req.name }).catch(() => undefined);
  });
  try {
    return await h.call('image.import', req);
  } catch (err) {
    if (interrupted && isNovaError(err) && err.code === 'cancelled') {
      throw new NovaError('cancelled', `import of ${req.path} cancelled: the helper stopped it and kept nothing`);
    }
    throw err;
  } finally {
    offInterrupt();
    offEvents();
  }
}
