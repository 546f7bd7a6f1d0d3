// Kernel uevents for PCI, USB and mediated devices, read as `udevadm monitor --kernel`
// prints them. That mode listens on the kernel's own netlink group, so it needs no udevd
// (containers and minimal hosts have none). A test's fake host has no kernel behind it:
// there the same lines come from a file the test appends to (fileUevents). device-watch.ts
// turns either into debounced `device.changed` events.
import type { ChildProcess } from 'node:child_process';
import { watch, type FSWatcher } from 'node:fs';
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { ProcessRunner } from '../process/process-runner.js';

export const WATCHED_SUBSYSTEMS = ['pci', 'usb', 'mdev'] as const;
export type WatchedSubsystem = (typeof WATCHED_SUBSYSTEMS)[number];

export interface Uevent {
  action: string;
  devpath: string;
  subsystem: WatchedSubsystem;
}

/** Where uevents come from; `onEnd` says why they stopped coming (the watch then falls back to rescans). */
export interface UeventSource {
  readonly name: string;
  start(onEvent: (e: Uevent) => void, onEnd: (reason: string) => void): Promise<void>;
  stop(): Promise<void>;
}

const LINE = /^KERNEL\[[\d.]+\]\s+(\w+)\s+(\/\S+)\s+\((\w+)\)$/;

/** "KERNEL[59136.549962] change   /devices/pci0000:00/0000:00:05.0 (pci)"; null for headers and other subsystems. */
export function parseUeventLine(line: string): Uevent | null {
  const m = LINE.exec(line.trim());
  if (!m) return null;
  const subsystem = m[3] as WatchedSubsystem;
  if (!WATCHED_SUBSYSTEMS.includes(subsystem)) return null;
  return { action: m[1]!, devpath: m[2]!, subsystem };
}

/** The line a kernel uevent makes in `udevadm monitor --kernel`, for a fake host's event file. */
export function formatUeventLine(e: Uevent): string {
  return `KERNEL[0.000000] ${e.action.padEnd(8)} ${e.devpath} (${e.subsystem})`;
}

/** The real host: one long-lived `udevadm monitor`, through the one way the helper starts programs. */
export function udevadmUevents(runner: ProcessRunner): UeventSource {
  let child: ChildProcess | null = null;
  let stopping = false;
  return {
    name: 'udevadm monitor --kernel',
    async start(onEvent, onEnd) {
      // The monitor dies with the helper, even a SIGKILLed one: the next helper starts its own.
      const argv = ['setpriv', '--pdeathsig', 'KILL', '--', 'udevadm', 'monitor', '--kernel', ...WATCHED_SUBSYSTEMS.map((s) => `--subsystem-match=${s}`)];
      const c = await runner.spawnDetached({ argv, stdio: ['ignore', 'pipe', 'pipe'], detached: false });
      child = c;
      let stderr = '';
      c.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
      createInterface({ input: c.stdout! }).on('line', (line) => {
        const e = parseUeventLine(line);
        if (e) onEvent(e);
      });
      c.once('exit', (code, signal) => {
        child = null;
        if (!stopping) onEnd(`udevadm monitor ended (${signal ?? `exit ${code}`})${stderr.trim() ? `: ${stderr.trim()}` : ''}`);
      });
    },
    async stop() {
      stopping = true;
      const c = child;
      if (!c || c.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
      c.kill('SIGTERM');
      await Promise.race([exited, new Promise<void>((resolve) => setTimeout(resolve, 2000).unref())]);
      if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    },
  };
}

/**
 * A test's fake host: lines appended to `path` (created empty when missing), read from
 * where the last read ended whenever the file changes.
 */
export function fileUevents(path: string): UeventSource {
  let watcher: FSWatcher | null = null;
  let offset = 0;
  let reading: Promise<void> = Promise.resolve();
  let partial = '';
  return {
    name: `uevent file ${path}`,
    async start(onEvent, onEnd) {
      const created = await open(path, 'a');
      offset = (await created.stat()).size;
      await created.close();
      const readNew = async () => {
        const file = await open(path, 'r');
        try {
          const { size } = await file.stat();
          if (size <= offset) return;
          const buf = Buffer.alloc(size - offset);
          await file.read(buf, 0, buf.length, offset);
          offset = size;
          const lines = (partial + buf.toString('utf8')).split('\n');
          partial = lines.pop() ?? '';
          for (const line of lines) {
            const e = parseUeventLine(line);
            if (e) onEvent(e);
          }
        } finally {
          await file.close();
        }
      };
      watcher = watch(path, () => {
        reading = reading.then(readNew).catch((err: unknown) => onEnd(`reading ${path} failed: ${(err as Error).message}`));
      });
      watcher.on('error', (err) => onEnd(`watching ${path} failed: ${err.message}`));
    },
    async stop() {
      watcher?.close();
      watcher = null;
      await reading;
    },
  };
}
