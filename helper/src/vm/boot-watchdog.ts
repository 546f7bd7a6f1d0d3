// The boot watchdog: a guest that prints nothing on its serial console within a bound
// has hung (QEMU's microvm does about 1 boot in 10-33 under TCG). The start restarts
// it once and then fails clearly, instead of reporting "running" forever.
import { stat } from 'node:fs/promises';
import { sleep } from './qemu-process.js';

export const DEFAULT_BOOT_WATCHDOG_MS = 20_000;

/** Resolves true once the serial log has any bytes, false after `timeoutMs`, when `gone()`, or on abort. */
export async function waitForSerialOutput(serialLog: string, timeoutMs: number, gone: () => Promise<boolean>, signal?: AbortSignal): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !signal?.aborted) {
    const size = await stat(serialLog).then((s) => s.size, () => 0);
    if (size > 0) return true;
    if (await gone()) return false;
    await sleep(50);
  }
  return false;
}

/** Guests known to talk on the serial console: direct kernel boot with console=ttyS0. */
export function expectsSerialOutput(cmdline: string | null | undefined): boolean {
  return cmdline != null && /(^|\s)console=ttyS0\b/.test(cmdline);
}
