// What `nova host ls` and `nova host add` say about a host: reachable, its Nova
// version, accelerator and guest counts, each host asked in parallel and within a bound
// so one unreachable host never holds up the others.
import { NovaError, toErrorShape } from '../../../src-shared/index.js';
import type { HelperClient } from '../helper-client.js';

export interface HostStatus {
  reachable: boolean;
  version: string | null;
  accelerator: string | null;
  vms: number | null;
  capsules: number | null;
  /** Why it is not reachable, in the words of ssh or the helper. */
  error: string | null;
}

export async function probeHost(connect: () => HelperClient, boundMs: number): Promise<HostStatus> {
  const client = connect();
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new NovaError('timeout', `no answer within ${Math.round(boundMs / 1000)} s`)), boundMs);
  });
  try {
    const ask = async (): Promise<HostStatus> => {
      const info = await client.call('helper.info', {});
      const [report, vms, capsules] = await Promise.all([
        client.call('host.check', { refresh: false }),
        client.call('vm.list', {}),
        client.call('capsule.list', {}),
      ]);
      return { reachable: true, version: info.version, accelerator: report.accelerator, vms: vms.vms.length, capsules: capsules.capsules.length, error: null };
    };
    return await Promise.race([ask(), bound]);
  } catch (err) {
    return { reachable: false, version: null, accelerator: null, vms: null, capsules: null, error: toErrorShape(err).message };
  } finally {
    clearTimeout(timer);
    client.close();
  }
}
