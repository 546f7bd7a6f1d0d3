// The probes' scratch directory, inside the helper's state dir rather than /tmp (which
// may be noexec, and is shared). It is swept before every run, so a helper killed in
// the middle of a check leaves nothing behind that the next check does not remove.
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../util/logger.js';
import { listPids } from './host-fs.js';
import { type HostProbeEnv, hostPath } from './host-probe-env.js';
import { deleteLeftoverProbeContainers } from './oci-runtimes.js';

export const SCRATCH_DIR_NAME = 'host-check.tmp';

/** Processes whose command line names the scratch dir: probes (QEMU, runtimes) a dead run left. */
export async function findScratchProcesses(env: HostProbeEnv, scratchDir: string): Promise<number[]> {
  const pids = await listPids(env);
  const cmdlines = await Promise.all(
    pids.map((pid) => readFile(hostPath(env, `/proc/${pid}/cmdline`), 'latin1').catch(() => '')),
  );
  // The trailing slash keeps /x/host-check.tmp from matching /x/host-check.tmp2.
  return pids.filter((_, i) => cmdlines[i]?.includes(scratchDir + '/'));
}

export async function sweepScratch(env: HostProbeEnv, scratchDir: string, logger: Logger): Promise<void> {
  const entries = await readdir(scratchDir).catch(() => null);
  if (entries !== null && entries.length > 0) {
    const pids = await findScratchProcesses(env, scratchDir);
    for (const pid of pids) env.killProcess(pid);
    const containers = await deleteLeftoverProbeContainers(env, scratchDir);
    logger.warn({ entries, killed: pids, containers }, 'removing what an interrupted host check left');
    for (const entry of entries) await rm(join(scratchDir, entry), { recursive: true, force: true });
  }
  await mkdir(scratchDir, { recursive: true, mode: 0o700 });
}
