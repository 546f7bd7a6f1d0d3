// remote-viewer (package virt-viewer): how Nova opens a VM's SPICE display on this host.
// Without it SPICE still works from a client elsewhere, so its absence is a warning,
// not a failure; the VM page then offers only the command to copy.
import type { HostCheckItem } from '../../../src-shared/host.js';
import { checkItem } from './check-item.js';
import type { HostProbeEnv } from './host-probe-env.js';
import { toolVersion } from './tool-output.js';

const LABEL = 'SPICE viewer (remote-viewer)';
const REMEDY = 'Install it: apt install virt-viewer';

export async function checkSpiceViewer(env: HostProbeEnv): Promise<HostCheckItem> {
  const path = await env.which('remote-viewer');
  if (!path) {
    return checkItem('remote-viewer', 'desktop', LABEL, {
      status: 'warn',
      summary: 'remote-viewer is not installed: SPICE displays cannot be opened from Nova on this host',
      evidence: ['remote-viewer: not found in PATH'],
      remedy: REMEDY,
    });
  }
  // "remote-viewer version 11.0"; it answers without a display.
  const v = await toolVersion(env, path);
  if (!v.ok) {
    return checkItem('remote-viewer', 'desktop', LABEL, {
      status: 'warn',
      summary: 'remote-viewer is installed but does not run',
      evidence: [`${path} --version: ${v.error}`],
      remedy: 'Reinstall it: apt install --reinstall virt-viewer',
    });
  }
  const version = /version\s+(\S+)/i.exec(v.line)?.[1];
  return checkItem('remote-viewer', 'desktop', LABEL, {
    status: 'ok',
    summary: `remote-viewer ${version ?? v.line}: Nova opens SPICE displays in it`,
    evidence: [`${path} --version: ${v.line}`],
  });
}
