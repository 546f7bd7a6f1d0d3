// Builds the helper and CLI bundles once before the system tests run them as real
// processes; afterwards removes the capsules' shared cgroup parents the run left empty.
import { execFileSync } from 'node:child_process';
import { removeEmptyNovaCgroups } from './cgroup-cleanup.js';

export default function setup(): () => void {
  execFileSync(process.execPath, ['.ci/build-node.mjs'], { stdio: 'inherit' });
  return () => removeEmptyNovaCgroups();
}
