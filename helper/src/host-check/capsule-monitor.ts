// The capsule monitor: conmon (package conmon) watches every capsule run, holding its
// stdio, logs and exit code, so without it no capsule starts whatever the OCI runtime.
// Reported beside the runtime items, in the same words.
import type { HostCheckItem } from '../../../src-shared/host.js';
import { checkItem } from './check-item.js';
import type { HostProbeEnv } from './host-probe-env.js';
import { toolVersion } from './tool-output.js';

const ID = 'capsule-monitor';
const LABEL = 'Capsule monitor (conmon)';

/** "conmon version 2.1.6" -> "2.1.6" */
export function parseConmonVersion(line: string): string | null {
  return /version\s+(\S+)/.exec(line)?.[1] ?? null;
}

export async function checkCapsuleMonitor(env: HostProbeEnv): Promise<HostCheckItem> {
  const path = await env.which('conmon');
  if (!path) {
    return checkItem(ID, 'containers', LABEL, {
      status: 'fail',
      summary: 'conmon is not installed: capsules cannot start',
      evidence: ['conmon: not found in PATH'],
      remedy: 'Install the capsule monitor: apt install conmon',
    });
  }
  const v = await toolVersion(env, path);
  if (!v.ok) {
    return checkItem(ID, 'containers', LABEL, {
      status: 'fail',
      summary: 'conmon is installed but does not run: capsules cannot start',
      evidence: [`${path} --version: ${v.error}`],
      remedy: 'Reinstall it: apt install --reinstall conmon',
    });
  }
  return checkItem(ID, 'containers', LABEL, {
    status: 'ok',
    summary: `conmon ${parseConmonVersion(v.line) ?? v.line} watches every capsule run`,
    evidence: [`${path}: ${v.line}`],
  });
}
