// Which OCI runtime binary capsules use: `auto` runs the host check's probe container with
// each runtime, and the capsules' user-namespace probe with those that work, and keeps the
// one the host check names (selectRuntime: crun before runc, a user namespace before none);
// a named runtime must be installed. Results are cached for the helper's lifetime.
import type { HostProbeEnv } from '../host-check/host-probe-env.js';
import { OCI_RUNTIMES, probeRuntimes, selectRuntime, type OciRuntimeName, type UserNamespaceProbe } from '../host-check/oci-runtimes.js';

export type RuntimeResolver = (name: string) => Promise<{ name: string; path: string } | null>;

export function runtimeResolver(env: HostProbeEnv, userNamespaces?: UserNamespaceProbe): RuntimeResolver {
  let auto: Promise<{ name: string; path: string } | null> | null = null;
  const known = (n: string): n is OciRuntimeName => (OCI_RUNTIMES as readonly string[]).includes(n);
  return async (name) => {
    if (name === 'auto') {
      auto ??= (async () => {
        const probes = await probeRuntimes(env, userNamespaces);
        const chosen = probes.find((p) => p.name === selectRuntime(probes));
        return chosen?.path ? { name: chosen.name, path: chosen.path } : null;
      })();
      return auto;
    }
    if (!known(name)) return null;
    const path = await env.which(name);
    return path ? { name, path } : null;
  };
}
