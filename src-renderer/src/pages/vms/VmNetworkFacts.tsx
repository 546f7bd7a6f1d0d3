// The overview's network rows: while the VM runs, the network its QEMU really joined
// (the runtime's tap, not the definition, which may have changed since) and the
// addresses the guest holds there, read from the network's DHCP leases by the NIC's MAC.
// Leases are polled while the VM runs, since a guest asks DHCP a while after boot.
import { useEffect, useState } from 'react';
import type { DhcpLease } from '../../../../src-shared/network.js';
import type { VmInfo, VmRuntimeNic } from '../../../../src-shared/vm.js';
import { useServices } from '../../app/services.js';
import { networkDetailHref } from '../../lib/network-route.js';
import { VmGuestAgentFacts } from './VmGuestAgentFacts.js';

const LEASE_POLL_MS = 3_000;

export function VmNetworkFacts({ vm }: { vm: VmInfo }) {
  const running = vm.state === 'running' || vm.state === 'paused';
  return (
    <>
      <NovaNetworkFacts vm={vm} />
      <VmGuestAgentFacts agent={vm.guestAgent} running={running} />
    </>
  );
}

function NovaNetworkFacts({ vm }: { vm: VmInfo }) {
  const d = vm.definition;
  const nics = vm.state === 'stopped' || vm.state === 'crashed' ? [] : (vm.nics ?? []);
  if (nics.length === 0) {
    const nova = d.nics.flatMap((n) => (n.network.mode === 'nova' ? [n.network.network] : []));
    return (
      <>
        <dt>Network</dt>
        <dd>
          {nova.length > 0 ? (
            <>
              joins{' '}
              {nova.map((n, i) => (
                <span key={`${n}-${i}`}>
                  {i > 0 && ', '}
                  <a href={networkDetailHref(n)}>{n}</a>
                </span>
              ))}{' '}
              when it starts
            </>
          ) : d.nics.length > 0 ? (
            'user-mode (QEMU, restricted)'
          ) : (
            'none'
          )}
        </dd>
      </>
    );
  }
  return (
    <>
      {nics.map((nic) => {
        const n = d.nics[nic.index ?? 0]?.network;
        return <NicFacts key={nic.ifname} nic={nic} planned={n?.mode === 'nova' ? n.network : null} />;
      })}
    </>
  );
}

function NicFacts({ nic, planned }: { nic: VmRuntimeNic; planned: string | null }) {
  const addresses = useLeaseAddresses(nic);
  return (
    <>
      <dt>Network</dt>
      <dd data-testid="vm-runtime-network">
        {nic.index !== undefined && nic.index > 0 && <span className="muted">net{nic.index}: </span>}
        <a href={networkDetailHref(nic.network)}>{nic.network}</a>
        <span className="muted">
          {' '}
          (tap {nic.ifname}, MAC {nic.mac})
        </span>
        {planned !== nic.network && <span className="muted"> · the settings say {planned ?? 'no network'} from the next start</span>}
      </dd>
      <dt>Addresses</dt>
      <dd data-method="network.leases" data-testid="vm-addresses">
        {addresses === null ? 'reading the leases…' : addresses.length === 0 ? 'no DHCP lease yet' : addresses.map((l) => l.address).join(', ')}
        {addresses && addresses.length > 0 && <span className="muted"> (DHCP)</span>}
      </dd>
    </>
  );
}

/** The leases of this NIC's MAC on its network, polled; null until the first answer. */
function useLeaseAddresses(nic: VmRuntimeNic): DhcpLease[] | null {
  const { client } = useServices();
  const [leases, setLeases] = useState<DhcpLease[] | null>(null);
  useEffect(() => {
    let stale = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const read = () => {
      client.call('network.leases', { network: nic.network }).then(
        (r) => {
          if (stale) return;
          setLeases(r.leases.filter((l) => l.mac.toLowerCase() === nic.mac.toLowerCase()));
          timer = setTimeout(read, LEASE_POLL_MS);
        },
        () => {
          if (stale) return;
          setLeases((prev) => prev ?? []);
          timer = setTimeout(read, LEASE_POLL_MS);
        },
      );
    };
    read();
    return () => {
      stale = true;
      clearTimeout(timer);
    };
  }, [client, nic.network, nic.mac]);
  return leases;
}
