// Builds the helper and CLI bundles once before the system tests run them as real processes.
import { execFileSync } from 'node:child_process';

export default function setup(): void {
  execFileSync(process.execPath, ['.ci/build-node.mjs'], { stdio: 'inherit' });
}
