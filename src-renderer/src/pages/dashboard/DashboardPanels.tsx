// The Dashboard's smaller panels: networks with the guests on them, running and recent
// operations, and the host check's findings one line each. Each reads a store or list
// the page already holds; none asks the helper for anything itself.
import { routeHref } from '../../app/routes.js';
import { OperationItem } from '../../components/OperationItem.js';
import { StatusBadge } from '../../components/StatusBadge.js';
import type { HostFinding, NetworkSummary } from '../../lib/dashboard-summary.js';
import type { Operation } from '../../../../src-shared/operation.js';
import type { ReactNode } from 'react';

export function DashPanel({ id, title, children }: { id: string; title: string; children: ReactNode }) {
  return (
    <section className="dash-panel" aria-labelledby={id}>
      <div className="dash-panel__head">
        <h2 id={id} className="dash-panel__title">
          {title}
        </h2>
      </div>
      {children}
    </section>
  );
}

export function NetworkPanel({ networks }: { networks: readonly NetworkSummary[] | null }) {
  return (
    <DashPanel id="dash-networks-title" title="Networks">
      {networks === null ? (
        <p className="muted">Reading networks…</p>
      ) : networks.length === 0 ? (
        <p className="muted">
          No networks. <a href={routeHref('networks')}>Create one</a>
        </p>
      ) : (
        <ul className="dash-list">
          {networks.map((n) => (
            <li key={n.name} data-network={n.name}>
              <a href={n.href}>{n.name}</a> <span className="muted">{n.subnet ?? 'no subnet'}{n.state === 'active' ? '' : ` · ${n.state}`}</span>
              <div className="dash-list__sub">
                {n.guests.length === 0 ? (
                  <span className="muted">no guests</span>
                ) : (
                  n.guests.map((g, i) => (
                    <span key={g.name}>
                      {i > 0 && ', '}
                      <a href={g.href}>{g.name}</a>
                    </span>
                  ))
                )}
              </div>
            </li>
          ))}
        </ul>
      )}
    </DashPanel>
  );
}

export function OperationsPanel({ operations, loaded }: { operations: readonly Operation[]; loaded: boolean }) {
  return (
    <DashPanel id="dash-operations-title" title="Operations">
      {!loaded ? (
        <p className="muted">Reading operations…</p>
      ) : operations.length === 0 ? (
        <p className="muted">Nothing running, nothing recent.</p>
      ) : (
        <ul className="dash-list dash-list--ops">
          {operations.map((op) => (
            <li key={op.id}>
              <OperationItem op={op} />
            </li>
          ))}
        </ul>
      )}
    </DashPanel>
  );
}

export function HostFindingsPanel({ findings, checked }: { findings: readonly HostFinding[]; checked: boolean }) {
  return (
    <DashPanel id="dash-findings-title" title="Host check">
      {!checked ? (
        <p className="muted">Reading the host check…</p>
      ) : findings.length === 0 ? (
        <p className="muted">Every check passed.</p>
      ) : (
        <ul className="dash-list">
          {findings.map((f) => (
            <li key={f.id} className="dash-finding" data-finding={f.id}>
              <StatusBadge status={f.status} /> <span className="dash-finding__line">{f.line}</span>
            </li>
          ))}
        </ul>
      )}
      <p>
        <a href={routeHref('host')}>Open the Host page</a>
      </p>
    </DashPanel>
  );
}
