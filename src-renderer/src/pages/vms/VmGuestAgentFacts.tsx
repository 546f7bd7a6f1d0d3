// The overview's guest-agent row: the addresses the guest itself reports through
// qemu-guest-agent, beside the DHCP leases, which miss static and IPv6 addresses and
// every NIC that is not on a Nova network.
import type { GuestAgentInfo } from '../../../../src-shared/vm.js';

export function VmGuestAgentFacts({ agent, running }: { agent: GuestAgentInfo | undefined; running: boolean }) {
  if (!running || agent === undefined) return null;
  const withAddresses = agent.interfaces.filter((i) => i.addresses.length > 0);
  return (
    <>
      <dt>Guest agent</dt>
      <dd data-testid="vm-agent-addresses">
        {!agent.answering ? (
          <span className="muted">not answering (is qemu-guest-agent running in the guest?)</span>
        ) : withAddresses.length === 0 ? (
          <span className="muted">answers; the guest reports no addresses</span>
        ) : (
          <ul className="vm-facts__list">
            {withAddresses.map((i) => (
              <li key={i.name}>
                {i.name}: {i.addresses.join(', ')}
                {i.mac && <span className="muted"> ({i.mac})</span>}
              </li>
            ))}
          </ul>
        )}
      </dd>
    </>
  );
}
