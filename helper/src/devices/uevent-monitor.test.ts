import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import type { ChildProcess } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { DetachedSpec, ProcessRunner } from '../process/process-runner.js';
import { udevadmUevents, type Uevent } from './uevent-monitor.js';

/** A child whose stdout the test writes, and whose exit it decides. */
function fakeChild() {
  const child = Object.assign(new EventEmitter(), { stdout: new PassThrough(), stderr: new PassThrough(), exitCode: null as number | null, signalCode: null, kill: (sig: string) => {
    child.exitCode = 0;
    child.emit('exit', null, sig);
    return true;
  } });
  return child;
}

describe('udevadmUevents', () => {
  it('runs udevadm monitor on the kernel group for pci, usb and mdev, tied to the helper\'s life, and reads its lines', async () => {
    const specs: DetachedSpec[] = [];
    const child = fakeChild();
    const runner = { spawnDetached: async (spec: DetachedSpec) => (specs.push(spec), child as unknown as ChildProcess) } as unknown as ProcessRunner;
    const source = udevadmUevents(runner);
    const events: Uevent[] = [];
    const ends: string[] = [];
    await source.start((e) => events.push(e), (r) => ends.push(r));
    expect(specs).toEqual([{
      argv: ['setpriv', '--pdeathsig', 'KILL', '--', 'udevadm', 'monitor', '--kernel', '--subsystem-match=pci', '--subsystem-match=usb', '--subsystem-match=mdev'],
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: false,
    }]);
    child.stdout.write('monitor will print the received events for:\nKERNEL - the kernel uevent\n\n');
    child.stdout.write('KERNEL[59136.549962] change   /devices/pci0000:00/0000:00:05.0 (pci)\n');
    await new Promise((r) => setImmediate(r));
    expect(events).toEqual([{ action: 'change', devpath: '/devices/pci0000:00/0000:00:05.0', subsystem: 'pci' }]);
    child.stderr.write('Failed to create netlink socket: Operation not permitted\n');
    await new Promise((r) => setImmediate(r));
    child.exitCode = 1;
    child.emit('exit', 1, null);
    expect(ends).toEqual(['udevadm monitor ended (exit 1): Failed to create netlink socket: Operation not permitted']);
  });

  it('a stop ends the monitor without calling it an end', async () => {
    const child = fakeChild();
    const runner = { spawnDetached: async () => child as unknown as ChildProcess } as unknown as ProcessRunner;
    const source = udevadmUevents(runner);
    const ends: string[] = [];
    await source.start(() => undefined, (r) => ends.push(r));
    await source.stop();
    expect(child.exitCode).toBe(0);
    expect(ends).toEqual([]);
  });
});
