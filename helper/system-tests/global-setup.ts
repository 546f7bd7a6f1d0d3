// Builds the helper and CLI bundles once before the system tests run them as real
// processes; afterwards removes the capsules' shared cgroup parents the run left empty.
// When .ci/test runs the files in lanes side by side, it builds once before them all
// (two lanes building into out/ at once would race), and only the last lane to finish
// removes the cgroups, so no lane loses a parent it is about to use.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { removeEmptyNovaCgroups } from './cgroup-cleanup.js';

export default function setup(): () => void {
  if (process.env.NOVA_SYSTEM_PREBUILT !== '1') execFileSync(process.execPath, ['.ci/build-node.mjs'], { stdio: 'inherit' });
  return () => {
    const laneDir = process.env.NOVA_SYSTEM_LANE_DIR;
    const lanes = Number(process.env.NOVA_SYSTEM_LANES ?? '1');
    if (laneDir && lanes > 1) {
      const done = join(laneDir, 'done');
      mkdirSync(done, { recursive: true });
      writeFileSync(join(done, String(process.pid)), '');
      if (readdirSync(done).length < lanes) return;
    }
    removeEmptyNovaCgroups();
  };
}
