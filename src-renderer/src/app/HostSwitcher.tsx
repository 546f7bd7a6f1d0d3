// The host switcher: this machine and every saved host, each with how its link stands in
// words, so the pages can show any host's guests. Choosing one re-mounts the pages over
// a client bound to that host (App.tsx); the choice outlives a reload.
import { Server } from 'lucide-react';
import '../styles/hosts-switch.css';
import { useStore } from 'zustand';
import { LOCAL_HOST } from '../transport/nova-client.js';
import { hostLabel } from '../stores/host-choice-store.js';
import { useServices } from './services.js';

export function HostSwitcher() {
  const { hostChoice } = useServices();
  const current = useStore(hostChoice, (s) => s.current);
  const saved = useStore(hostChoice, (s) => s.saved);
  const links = useStore(hostChoice, (s) => s.links);
  const link = current === LOCAL_HOST ? undefined : links[current];
  const tone = current === LOCAL_HOST || link?.state === 'connected' ? 'ok' : link?.state === 'disconnected' ? 'fail' : 'pending';
  return (
    <label className={`host-switcher host-switcher--${tone}`}>
      <span className="host-switcher__label">
        <Server aria-hidden="true" size={14} />
        Host
      </span>
      <select
        aria-label="Host"
        data-method="hosts.list hosts.connection"
        value={saved.includes(current) ? current : LOCAL_HOST}
        onChange={(e) => hostChoice.getState().choose(e.target.value)}
      >
        <option value={LOCAL_HOST}>This machine</option>
        {saved.map((name) => (
          <option key={name} value={name}>
            {name} ({hostLabel(links[name])})
          </option>
        ))}
      </select>
    </label>
  );
}
