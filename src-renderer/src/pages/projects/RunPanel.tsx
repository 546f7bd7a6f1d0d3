// An apply or a down in flight or just finished: the last line about each resource
// (what it is doing now, or how it ended), Cancel while it runs, then the outcome:
// what failed and why, what was left alone and why.
import { LoaderCircle } from 'lucide-react';
import type { ErrorShape } from '../../../../src-shared/index.js';
import { ErrorPanel } from '../../components/ErrorPanel.js';
import { latestLines } from '../../lib/project-plan-view.js';
import type { ProjectState } from './use-project.js';

interface Props {
  readonly state: ProjectState;
  readonly onCancel: () => void;
}

function outcomeText(state: ProjectState): string | null {
  const r = state.result;
  if (!r) return null;
  if (r.action === 'up') {
    if (!r.outcome) return 'Nothing to apply: what runs matches the file.';
    const o = r.outcome;
    if (o.cancelled) return `Cancelled: ${o.applied.length} change(s) completed and stay; nothing half-made is left.`;
    if (o.failed.length > 0) return `Stopped short: ${o.failed.length} failed, ${o.applied.length} applied (they stay). Fix what failed and apply again.`;
    return `Applied ${o.applied.length} change(s)${o.notApplied.length > 0 ? `; ${o.notApplied.length} left alone` : ''}.`;
  }
  const o = r.outcome;
  if (o.cancelled) return 'Down cancelled; what was already stopped or deleted stays so.';
  return `Down: ${o.stopped.length} stopped, ${o.removed.length} deleted, ${o.kept.length} kept, ${o.failed.length} failed.`;
}

export function RunPanel({ state, onCancel }: Props) {
  const lines = latestLines(state.lines);
  const text = outcomeText(state);
  const problems: { key: string; text: string }[] = [];
  if (state.result?.action === 'up' && state.result.outcome) {
    for (const f of state.result.outcome.failed) problems.push({ key: `f:${f.kind}:${f.name}`, text: `failed: ${f.kind} ${f.name}: ${f.message}` });
    for (const n of state.result.outcome.notApplied) problems.push({ key: `n:${n.kind}:${n.name}`, text: `not applied: ${n.kind} ${n.name}: ${n.reason}` });
  }
  if (state.result?.action === 'down') {
    for (const f of state.result.outcome.failed) problems.push({ key: `f:${f.kind}:${f.name}`, text: `failed: ${f.kind} ${f.name}: ${f.message}` });
    for (const k of state.result.outcome.kept) problems.push({ key: `k:${k.kind}:${k.name}`, text: `kept: ${k.kind} ${k.name}: ${k.reason}` });
  }
  if (!state.running && lines.length === 0 && !text && !state.runError) return null;
  return (
    <section className="run-panel" aria-label={state.running === 'down' ? 'Down progress' : 'Apply progress'} aria-busy={state.running !== null}>
      <div className="run-panel__head">
        {state.running && <LoaderCircle className="spin" aria-hidden="true" size={16} />}
        <span role="status">{state.running ? (state.running === 'up' ? 'Applying…' : 'Taking the project down…') : text}</span>
        {state.running && (
          <button type="button" className="button" data-method="project.cancel" onClick={onCancel}>
            Cancel
          </button>
        )}
      </div>
      {lines.length > 0 && (
        <ul className="run-panel__lines">
          {lines.map((l) => (
            <li key={l.subject} data-subject={l.subject}>
              <span className="run-panel__subject">{l.subject}</span> {l.line}
            </li>
          ))}
        </ul>
      )}
      {problems.length > 0 && (
        <ul className="run-panel__problems">
          {problems.map((p) => (
            <li key={p.key}>{p.text}</li>
          ))}
        </ul>
      )}
      {state.runError && <RunError error={state.runError} action={state.result?.action ?? 'up'} />}
    </section>
  );
}

function RunError({ error, action }: { error: ErrorShape; action: 'up' | 'down' }) {
  return <ErrorPanel context={action === 'up' ? 'Nothing applied' : 'Down failed'} error={error} />;
}
