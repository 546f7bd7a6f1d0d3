// The activity panel: every running and recent operation, newest first, with progress,
// Cancel, and failures in words. It sits beside the page rather than over it (not
// modal): Esc or Close puts it away and focus goes back to the button that opened it.
import { X } from 'lucide-react';
import { useEffect, useId, useMemo, useRef, type ReactNode } from 'react';
import { useStore } from 'zustand';
import { ErrorPanel } from '../components/ErrorPanel.js';
import { OperationItem } from '../components/OperationItem.js';
import { sortOperations } from '../lib/operation-format.js';
import '../styles/operations.css';
import { ACTIVITY_BUTTON_ID, ACTIVITY_PANEL_ID } from './ActivityButton.js';
import { useServices } from './services.js';

export function ActivityPanel() {
  const { operations, connection } = useServices();
  const panel = useStore(operations, (s) => s.panel);
  const byId = useStore(operations, (s) => s.byId);
  const loaded = useStore(operations, (s) => s.loaded);
  const error = useStore(operations, (s) => s.error);
  const linked = useStore(connection, (s) => s.transport.status === 'connected' && s.helper.connected !== false);
  const headingId = useId();
  const heading = useRef<HTMLHeadingElement>(null);
  const body = useRef<HTMLDivElement>(null);

  const sorted = useMemo(() => sortOperations(Object.values(byId)), [byId]);
  const running = sorted.filter((op) => op.state === 'running');
  const recent = sorted.filter((op) => op.state !== 'running');

  useEffect(() => {
    if (!panel.open) return;
    const target = panel.highlight ? body.current?.querySelector<HTMLElement>(`[data-operation="${panel.highlight}"]`) : null;
    (target ?? heading.current)?.focus();
    target?.scrollIntoView({ block: 'nearest' });
  }, [panel.open, panel.highlight]);

  if (!panel.open) return null;
  const close = (): void => {
    operations.getState().closePanel();
    document.getElementById(ACTIVITY_BUTTON_ID)?.focus();
  };

  return (
    <aside
      id={ACTIVITY_PANEL_ID}
      className="activity"
      aria-labelledby={headingId}
      onKeyDown={(e) => {
        if (e.key !== 'Escape') return;
        e.stopPropagation();
        close();
      }}
    >
      <header className="activity__header">
        <h2 id={headingId} ref={heading} tabIndex={-1} className="activity__title">
          Activity
        </h2>
        <button type="button" className="icon-button" aria-label="Close activity" onClick={close}>
          <X aria-hidden="true" size={16} />
        </button>
      </header>
      <div className="activity__body" ref={body} data-method="operation.list">
        {!linked && <p className="activity__stale">Not connected to the helper: this is what was known when the link dropped.</p>}
        {error && <ErrorPanel context="Could not read the operations" error={error} onRetry={() => void operations.getState().load()} />}
        <Section title={`Running (${running.length})`} empty={loaded ? 'Nothing is running.' : 'Reading the operations…'}>
          {running.map((op) => (
            <OperationItem key={op.id} op={op} highlighted={op.id === panel.highlight} />
          ))}
        </Section>
        <Section title="Recent" empty={loaded ? 'Nothing has finished lately.' : null}>
          {recent.map((op) => (
            <OperationItem key={op.id} op={op} highlighted={op.id === panel.highlight} />
          ))}
        </Section>
      </div>
    </aside>
  );
}

function Section({ title, empty, children }: { title: string; empty: string | null; children: ReactNode[] }) {
  const id = useId();
  return (
    <section className="activity__section" aria-labelledby={id}>
      <h3 id={id} className="activity__section-title">
        {title}
      </h3>
      {children.length > 0 ? children : empty && <p className="muted">{empty}</p>}
    </section>
  );
}
