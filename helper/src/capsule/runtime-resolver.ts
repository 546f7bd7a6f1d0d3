// Which OCI runtime binary capsules use: `auto` runs the host check's probe container with
// each runtime in order of preference (crun, then runc) and keeps the first that works;
// a named runtime must be installed. Results are cached for the helper's lifetime.
import type { HostProbeEnv } from '../host-check/host-probe-env.js';
import { OCI_RUNTIMES, probeRuntime, type OciRuntimeName } from '../host-check/oci-runtimes.js';

export type RuntimeResolver = (name: string) => Promise<{ name: string; path: string } | null>;

export function runtimeResolver(env: HostProbeEnv): RuntimeResolver {
  let auto: Promise<{ name: string; path: string } | null> | null = null;
  const known = (n: string): n is OciRuntimeName => (OCI_RUNTIMES as readonly string[]).includes(n);
  return async (name) => {
    if (name === 'auto') {
      auto ??= (async () => {
        for (const n of OCI_RUNTIMES) {
          const p = await probeRuntime(env, n);
          if (p.works && p.path) return { name: n, path: p.path };
        }
        return null;
      })();
      return auto;
    }
    if (!known(name)) return null;
    const path = await env.which(name);
    return path ? { name, path } : null;
  };
}
