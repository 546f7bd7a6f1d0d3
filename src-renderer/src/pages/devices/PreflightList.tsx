// A device's passthrough preflight (VFIO.md 5.2): each item's verdict in colour and
// word, what was read, and the one-line fix.
import type { DevicePreflight } from '../../../../src-shared/index.js';
import { VERDICT_STATUS, VERDICT_WORDS } from '../../lib/device-groups.js';

export function PreflightList({ preflight }: { readonly preflight: DevicePreflight }) {
  return (
    <ul className="preflight" aria-label={`Preflight of ${preflight.address}`} data-verdict={preflight.verdict}>
      {preflight.items.map((item) => (
        <li key={item.id} className="preflight__item" data-item={item.id} data-verdict={item.verdict}>
          <span className={`status-badge status-badge--${VERDICT_STATUS[item.verdict]}`}>{VERDICT_WORDS[item.verdict]}</span>{' '}
          <strong>{item.label}</strong>: {item.summary}
          {item.evidence.length > 0 && <div className="preflight__evidence">{item.evidence.join(' · ')}</div>}
          {item.fix && <div className="preflight__fix">Fix: {item.fix}</div>}
        </li>
      ))}
    </ul>
  );
}
