// Whether non-root users can be authorized: the helper asks polkit (pkcheck) for every
// caller but root, so polkitd must be installed and running and Nova's policy (the
// org.nova.* actions) installed where polkit reads it.
import type { HostCheckItem } from '../../../src-shared/host.js';
import { checkItem } from './check-item.js';
import { hostPathExists, listPids, readHostFile } from './host-fs.js';
import type { HostProbeEnv } from './host-probe-env.js';

export const NOVA_POLICY_FILE = '/usr/share/polkit-1/actions/org.nova.policy';

// Debian/Ubuntu, Fedora/Arch, and older layouts.
const POLKITD_PATHS = ['/usr/lib/polkit-1/polkitd', '/usr/libexec/polkitd', '/usr/lib/policykit-1/polkitd'];

export async function checkPolkit(env: HostProbeEnv): Promise<HostCheckItem[]> {
  const [daemon, policy] = await Promise.all([polkitItem(env), policyItem(env)]);
  return [daemon, policy];
}

/** pids of processes whose comm is `name`, from /proc/PID/comm. */
export async function findProcesses(env: HostProbeEnv, name: string): Promise<number[]> {
  const pids = await listPids(env);
  const comms = await Promise.all(pids.map((pid) => readHostFile(env, `/proc/${pid}/comm`)));
  return pids.filter((_, i) => comms[i]?.trim() === name);
}

async function polkitItem(env: HostProbeEnv): Promise<HostCheckItem> {
  const label = 'polkit';
  const [pkcheck, daemonPaths, running] = await Promise.all([
    env.which('pkcheck'),
    Promise.all(POLKITD_PATHS.map(async (p) => ((await hostPathExists(env, p)) ? p : null))),
    findProcesses(env, 'polkitd'),
  ]);
  const daemon = daemonPaths.find((p) => p !== null) ?? null;
  const evidence = [
    `pkcheck: ${pkcheck ?? 'not found in PATH'}`,
    `polkitd: ${daemon ?? `not found (${POLKITD_PATHS.join(', ')})`}`,
    `polkitd running: ${running.length > 0 ? `yes (pid ${running.join(', ')})` : 'no'}`,
  ];
  if (!pkcheck || !daemon) {
    return checkItem('polkit', 'desktop', label, {
      status: 'warn',
      summary: 'polkit is not installed: only root can use Nova',
      evidence,
      remedy: 'Install it: apt install polkitd pkexec (Fedora: dnf install polkit)',
    });
  }
  if (running.length === 0) {
    return checkItem('polkit', 'desktop', label, {
      status: 'warn',
      summary: 'polkitd is not running: non-root callers will be refused',
      evidence,
      remedy: 'Start it: systemctl start polkit (it needs the system D-Bus)',
    });
  }
  return checkItem('polkit', 'desktop', label, {
    status: 'ok',
    summary: 'pkcheck and polkitd present, polkitd running',
    evidence,
  });
}

async function policyItem(env: HostProbeEnv): Promise<HostCheckItem> {
  const label = 'Nova polkit policy';
  const policy = await readHostFile(env, NOVA_POLICY_FILE);
  if (policy === null) {
    return checkItem('polkit-policy', 'desktop', label, {
      status: 'warn',
      summary: 'Not installed: non-root callers will be refused',
      evidence: [`${NOVA_POLICY_FILE}: absent`],
      remedy: `Install Nova's package, or copy its org.nova.policy to ${NOVA_POLICY_FILE}`,
    });
  }
  const actions = [...policy.matchAll(/<action\s+id="([^"]+)"/g)].map((m) => m[1]).filter((a): a is string => !!a);
  return checkItem('polkit-policy', 'desktop', label, {
    status: 'ok',
    summary: `Installed (${actions.length} action${actions.length === 1 ? '' : 's'})`,
    evidence: [`${NOVA_POLICY_FILE}: ${actions.length > 0 ? actions.join(', ') : 'no <action> elements found'}`],
  });
}
