// A network's state as icon, colour and word together (Active, Degraded, Down), and
// optionally the helper's reasons beside it, so it reads without colour vision; while an
// operation holds the network, what holds it, in the accent, with the operation as title.
import { CircleCheck, CircleX, LoaderCircle, TriangleAlert } from 'lucide-react';
import type { NetworkState, NetworkStatus } from '../../../../src-shared/network.js';
import type { ResourceBusy } from '../../stores/resource-busy.js';

const LOOK = {
  active: { icon: CircleCheck, tone: 'ok', text: 'Active' },
  degraded: { icon: TriangleAlert, tone: 'warn', text: 'Degraded' },
  down: { icon: CircleX, tone: 'fail', text: 'Down' },
} as const;

export const NETWORK_STATE_TEXT: Record<NetworkState, string> = { active: 'Active', degraded: 'Degraded', down: 'Down' };

export function NetworkStateBadge({ state }: { state: NetworkState }) {
  const { icon: Icon, tone, text } = LOOK[state];
  return (
    <span className={`status-badge status-badge--${tone}`} data-state={state}>
      <Icon aria-hidden="true" size={14} strokeWidth={2.25} />
      {text}
    </span>
  );
}

/** The badge and, when not active, why: "Degraded: dnsmasq (DHCP/DNS) is not running". */
export function NetworkStatusLine({ status, busy }: { status: NetworkStatus; busy: ResourceBusy | null }) {
  return (
    <span className="network-status">
      {busy ? (
        <span className="status-badge op-state op-state--running" data-state={status.state} data-busy title={busy.reason}>
          <LoaderCircle aria-hidden="true" size={14} strokeWidth={2.25} className="spin" />
          {busy.status}
        </span>
      ) : (
        <NetworkStateBadge state={status.state} />
      )}
      {status.reasons.length > 0 && <span className="network-status__reasons">{status.reasons.join('; ')}</span>}
    </span>
  );
}
