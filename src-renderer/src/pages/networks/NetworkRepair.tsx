// "Repair" puts back a network's kernel side (bridge, taps, veths, nftables rules, dnsmasq)
// when something outside Nova removed it: offered in the page's header always, and as a
// notice above the facts when the helper's status says the network is degraded or down.
// The result is said in words (what was put back, or why not) and the store re-reads, so
// the state shown is the helper's after the repair, not a guess.
import { Wrench } from 'lucide-react';
import { useState } from 'react';
import type { Network } from '../../../../src-shared/network.js';
import { toErrorShape } from '../../../../src-shared/errors.js';
import { useServices } from '../../app/services.js';
import { errorWords } from '../../lib/error-words.js';
import { networkStoreFor } from '../../stores/network-store.js';
import type { ResourceBusy } from '../../stores/resource-busy.js';
import { announce, announceFailure } from '../../stores/toast-store.js';

function useRepair(name: string) {
  const { client } = useServices();
  const [repairing, setRepairing] = useState(false);
  const repair = async () => {
    if (repairing) return;
    setRepairing(true);
    try {
      const report = await client.call('network.repair', { name });
      const problems = report.problems.filter((p) => p.network === name);
      if (problems.length > 0) announceFailure(`Could not repair network '${name}'`, problems.map((p) => p.message).join('; '));
      else if (report.repaired.includes(name)) announce(`Repaired network '${name}'`, 'What was missing of its bridge, rules, links or DHCP is back.');
      else announce(`Network '${name}' needed no repair`, 'Its bridge, rules, links and DHCP were all in place.');
    } catch (err) {
      const words = errorWords(toErrorShape(err));
      announceFailure(`Could not repair network '${name}'`, `${words.sentence} ${words.next}`);
    } finally {
      setRepairing(false);
      await networkStoreFor(client).getState().load();
    }
  };
  return { repair, repairing };
}

function RepairButton({ name, busy, primary }: { name: string; busy: ResourceBusy | null; primary?: boolean }) {
  const { repair, repairing } = useRepair(name);
  return (
    <button type="button" className={primary ? 'button button--primary' : 'button'} data-method="network.repair" aria-disabled={busy || repairing ? true : undefined} title={busy?.reason} onClick={() => !busy && void repair()}>
      <Wrench aria-hidden="true" size={14} />
      {repairing ? 'Repairing…' : primary ? 'Repair now' : 'Repair'}
    </button>
  );
}

/** The header's Repair, there whatever the status says. */
export function NetworkRepairAction({ network, busy }: { network: Network; busy: ResourceBusy | null }) {
  return <RepairButton name={network.name} busy={busy} />;
}

/** A notice with Repair now, only while the helper says part of the network is missing. */
export function NetworkRepairNotice({ network, busy }: { network: Network; busy: ResourceBusy | null }) {
  if (network.status.state === 'active') return null;
  return (
    <div className="network-repair" role="status" aria-label="Network needs repair">
      <p>{`${network.name} is ${network.status.state}: ${network.status.reasons.join('; ') || 'part of its kernel side is missing'}. Repair puts back what is missing.`}</p>
      <RepairButton name={network.name} busy={busy} primary />
    </div>
  );
}
