// Waiting for a file to appear without polling on a fixed beat: an inotify watch on its
// folder wakes the waiter as soon as anything there changes (a capsule's pid file, QEMU's
// QMP socket), with a short timer as the fallback should an event be missed.
import { watch, type FSWatcher } from 'node:fs';

/**
 * Wakes a waiter when anything in `dir` changes (or after at most `ms`, should a change be
 * missed), so a start sees what it waits for as it appears instead of on the next beat.
 * Latched: a change between two waits is not lost.
 */
export function dirChanges(dir: string): { next: (ms: number) => Promise<void>; close: () => void } {
  let changed = false;
  let wake: (() => void) | null = null;
  let watcher: FSWatcher | null = null;
  try {
    watcher = watch(dir, () => {
      changed = true;
      wake?.();
    });
    watcher.on('error', () => undefined);
  } catch {
    watcher = null;
  }
  return {
    next: (ms) =>
      new Promise<void>((resolve) => {
        if (changed) {
          changed = false;
          resolve();
          return;
        }
        const done = () => {
          clearTimeout(timer);
          wake = null;
          changed = false;
          resolve();
        };
        const timer = setTimeout(done, ms);
        wake = done;
      }),
    close: () => watcher?.close(),
  };
}
