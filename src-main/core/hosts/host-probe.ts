// What `nova host ls` and `nova host add` say about a host: reachable, its Nova
// version, accelerator and guest counts, each host asked in parallel and within a bound
// so one unreachable host never holds up the others.
import { NovaError, toErrorShape } from '../../../src-shared/index.js';
import type { SshHostAddress } from '../../../src-shared/vocabulary/index.js';
import type { HelperClient } from '../helper-client.js';
import { remoteHelperClient } from './remote-helper.js';
import type { SshCommandOptions } from './ssh-command.js';

/** ssh's own connect bound plus the helper's answers: a host that says nothing by then is unreachable. */
const PROBE_MARGIN_MS = 10_000;

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
  try {
    return await probeClient(client, boundMs);
  } finally {
    client.close();
  }
}

/** Asks a client someone else owns (this machine's helper connection), leaving it open. */
export async function probeClient(client: Pick<HelperClient, 'call'>, boundMs: number): Promise<HostStatus> {
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
  }
}

/** A remote host through `ssh HOST nova connect`, bounded by ssh's connect timeout plus a margin. */
export function probeRemote(address: SshHostAddress, ssh: SshCommandOptions): Promise<HostStatus> {
  const connect = (): HelperClient => {
    const client = remoteHelperClient(address, ssh);
    client.start();
    return client;
  };
  return probeHost(connect, ssh.connectTimeoutS * 1000 + PROBE_MARGIN_MS);
}
