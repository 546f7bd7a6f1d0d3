// Above a saved host's pages while its link is not up: that it is disconnected, why (in
// ssh's or the helper's words) and when the next try is, counting down; the pages below
// keep what they showed and their calls fail at once instead of hanging.
import { useStore } from 'zustand';
import { useNow } from '../lib/use-now.js';
import { LOCAL_HOST } from '../transport/nova-client.js';
import { useServices } from './services.js';

export function HostBanner() {
  const { hostChoice } = useServices();
  const current = useStore(hostChoice, (s) => s.current);
  const link = useStore(hostChoice, (s) => s.links[s.current]);
  const down = current !== LOCAL_HOST && link?.state === 'disconnected';
  const now = useNow(1000, down);
  if (current === LOCAL_HOST || !link || link.state === 'connected') return null;
  if (link.state === 'connecting') {
    return (
      <div className="host-banner host-banner--pending" role="status" data-host-link="connecting">
        Connecting to {current}…
      </div>
    );
  }
  const secs = link.retryAt === null ? 0 : Math.max(0, Math.ceil((link.retryAt - now) / 1000));
  return (
    <div className="host-banner host-banner--fail" role="alert" data-host-link="disconnected">
      <strong>
        {current} is disconnected, {secs > 0 ? `reconnecting in ${secs} s` : 'reconnecting…'}
      </strong>
      {link.error && <span className="host-banner__why">{link.error}</span>}
    </div>
  );
}
