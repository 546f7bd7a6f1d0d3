// The processes a VM's QEMU works with (swtpm, virtiofsd): each stopped the same way,
// only while its pid still names the process that was started (pid and start time).
import { NovaError } from '../../../src-shared/errors.js';
import { isAlive, waitForExit } from './qemu-process.js';

export interface RunningCompanion {
  pid: number;
  startTime: string;
}

/** SIGTERM (the program saves what it must), SIGKILL after `graceMs`; `program` names it in the error. */
export async function stopCompanion(p: RunningCompanion, program: string, graceMs = 2_000): Promise<void> {
  if (!(await isAlive(p.pid, p.startTime))) return;
  process.kill(p.pid, 'SIGTERM');
  if (await waitForExit(p.pid, p.startTime, graceMs)) return;
  if (await isAlive(p.pid, p.startTime)) process.kill(p.pid, 'SIGKILL');
  if (!(await waitForExit(p.pid, p.startTime, 5_000))) throw new NovaError('internal', `${program} pid ${p.pid} survived SIGKILL`);
}

/** Stops each of `found`, never throwing; returns their pids. */
export async function stopCompanions(found: readonly RunningCompanion[], program: string): Promise<number[]> {
  for (const p of found) await stopCompanion(p, program).catch(() => undefined);
  return found.map((p) => p.pid);
}
