// The probe families of the host check, in report order. Each one is independent, so
// the service runs them all at once; the two that decide something for the whole
// report (the accelerator, the OCI runtime) return it beside their items.
import type { Accelerator, HostCheckGroup, HostCheckItem } from '../../../src-shared/host.js';
import { checkCapsuleMonitor } from './capsule-monitor.js';
import { checkCgroups } from './cgroup-layout.js';
import { checkCpuMemory } from './cpu-memory.js';
import { checkHugepages } from './hugepages.js';
import type { HostProbeEnv } from './host-probe-env.js';
import { checkIommuVfio } from './iommu-vfio.js';
import { checkKvmAccelerator } from './kvm-accelerator.js';
import { checkNetworkTools } from './network-tools.js';
import { checkOciRuntimes, type UserNamespaceProbe } from './oci-runtimes.js';
import { checkPolkit } from './polkit-setup.js';
import { checkQemuInstall } from './qemu-install.js';
import { checkSpiceViewer } from './spice-viewer.js';

export interface HostProbeOutcome {
  items: HostCheckItem[];
  accelerator?: Accelerator;
  ociRuntime?: string | null;
}

export interface HostProbe {
  name: string;
  /** Where an item about this probe itself failing is filed. */
  group: HostCheckGroup;
  run(env: HostProbeEnv): Promise<HostProbeOutcome>;
}

export interface HostProbeDeps {
  /** The capsule engine's user-namespace probe: the runtime is judged in the mode capsules run in. */
  userNamespaces?: UserNamespaceProbe;
}

export function hostProbes(deps: HostProbeDeps = {}): readonly HostProbe[] {
  return [
  { name: 'cpu-memory', group: 'hardware', run: async (env) => ({ items: await checkCpuMemory(env) }) },
  { name: 'hugepages', group: 'hardware', run: async (env) => ({ items: await checkHugepages(env) }) },
  { name: 'kvm-accelerator', group: 'virtualization', run: (env) => checkKvmAccelerator(env) },
  { name: 'qemu-install', group: 'virtualization', run: async (env) => ({ items: await checkQemuInstall(env) }) },
  { name: 'iommu-vfio', group: 'devices', run: async (env) => ({ items: await checkIommuVfio(env) }) },
  { name: 'cgroup-layout', group: 'containers', run: async (env) => ({ items: await checkCgroups(env) }) },
  { name: 'oci-runtimes', group: 'containers', run: (env) => checkOciRuntimes(env, deps.userNamespaces) },
  { name: 'capsule-monitor', group: 'containers', run: async (env) => ({ items: [await checkCapsuleMonitor(env)] }) },
  { name: 'network-tools', group: 'networking', run: async (env) => ({ items: await checkNetworkTools(env) }) },
  { name: 'polkit-setup', group: 'desktop', run: async (env) => ({ items: await checkPolkit(env) }) },
  { name: 'spice-viewer', group: 'desktop', run: async (env) => ({ items: [await checkSpiceViewer(env)] }) },
  ];
}

export const DEFAULT_HOST_PROBES: readonly HostProbe[] = hostProbes();
