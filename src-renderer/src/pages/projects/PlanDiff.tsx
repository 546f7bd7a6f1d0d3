// The plan as a readable diff: one group per class (create, update in place, update with
// restart, replace, move, delete), each resource with its host when the project spans
// several, its fields as old -> new and drift marked; then what will not be applied:
// clashes and blocked items with their reasons.
import type { ProjectPlan } from '../../../../src-shared/index.js';
import { changeHostText, fieldDiffText, groupPlan, planSummary } from '../../lib/project-plan-view.js';

export function PlanDiff({ plan }: { plan: ProjectPlan }) {
  const groups = groupPlan(plan);
  return (
    <div className="plan-diff">
      <p className="plan-diff__summary" data-testid="plan-summary">
        {planSummary(plan)}
      </p>
      {plan.hosts && <p className="muted" data-testid="plan-hosts">On hosts {plan.hosts.join(', ')}</p>}
      {groups.map((g) => (
        <section key={g.cls} className={`plan-group plan-group--${g.cls}`} aria-label={`To ${g.label}`}>
          <h3 className="plan-group__title">
            {g.label} <span className="muted">({g.changes.length})</span>
          </h3>
          <ul className="plan-group__items">
            {g.changes.map((c) => (
              <li key={`${c.host ?? ''}:${c.kind}:${c.name}`} data-change={`${c.kind}:${c.name}`} data-host={c.host}>
                <span className="plan-group__resource">
                  {c.kind} {c.name}
                </span>
                {changeHostText(c) && <span className="plan-group__host muted"> {changeHostText(c)}</span>}
                {c.fields.some((f) => !(c.class === 'move' && f.field === 'host')) && (
                  <ul className="plan-fields">
                    {c.fields.filter((f) => !(c.class === 'move' && f.field === 'host')).map((f) => (
                      <li key={f.field}>
                        <span className="plan-fields__name">{f.field}</span>: <span className="project-mono">{fieldDiffText(f)}</span>
                        {f.drift && <span className="plan-fields__drift"> changed outside the file (drift)</span>}
                      </li>
                    ))}
                  </ul>
                )}
              </li>
            ))}
          </ul>
        </section>
      ))}
      {plan.clashes.length > 0 && (
        <section className="plan-group plan-group--held" aria-label="Clashes">
          <h3 className="plan-group__title">Clashes: left alone</h3>
          <ul className="plan-group__items">
            {plan.clashes.map((c) => (
              <li key={`${c.kind}:${c.name}`}>{c.message}</li>
            ))}
          </ul>
        </section>
      )}
      {plan.blocked.length > 0 && (
        <section className="plan-group plan-group--held" aria-label="Blocked">
          <h3 className="plan-group__title">Blocked on this host</h3>
          <ul className="plan-group__items">
            {plan.blocked.map((b) => (
              <li key={`${b.kind}:${b.name}:${b.key}`}>
                {b.kind} {b.name} ({b.key}): {b.reason}. To fix: {b.remedy}
              </li>
            ))}
          </ul>
        </section>
      )}
    </div>
  );
}
