// A project's plan shaped for the Projects page: changes grouped by class from the
// least to the most disruptive (deletes last, as they are applied), each field as
// "old -> new" with drift marked, where each step runs when the project spans hosts, and
// the health badge's tone.
import { CHANGE_CLASS_LABELS, type ChangeClass, type FieldChange, type ProjectPlan, type ResourceChange } from '../../../src-shared/index.js';

export const CLASS_ORDER: readonly ChangeClass[] = ['create', 'update', 'restart', 'replace', 'move', 'delete'];

export interface PlanGroup {
  readonly cls: ChangeClass;
  readonly label: string;
  readonly changes: readonly ResourceChange[];
}

export function groupPlan(plan: ProjectPlan): PlanGroup[] {
  return CLASS_ORDER.map((cls) => ({ cls, label: CHANGE_CLASS_LABELS[cls], changes: plan.changes.filter((c) => c.class === cls) })).filter((g) => g.changes.length > 0);
}

/** "on closet", a move's "from local to closet"; null for a project on one host. */
export function changeHostText(c: ResourceChange): string | null {
  if (c.host === undefined) return null;
  return c.from === undefined ? `on ${c.host}` : `from ${c.from} to ${c.host}`;
}

/** "512 MiB -> 1 GiB"; an unset side reads "(none)". */
export function fieldDiffText(f: FieldChange): string {
  return `${f.old ?? '(none)'} -> ${f.new ?? '(none)'}`;
}

/** "2 to create, 1 to update with restart" for the plan's summary line; "No changes" when none. */
export function planSummary(plan: ProjectPlan): string {
  const parts = groupPlan(plan).map((g) => `${g.changes.length} to ${g.label}`);
  if (plan.clashes.length > 0) parts.push(`${plan.clashes.length} clash${plan.clashes.length === 1 ? '' : 'es'}`);
  if (plan.blocked.length > 0) parts.push(`${plan.blocked.length} blocked`);
  return parts.length === 0 ? 'No changes: what runs matches the file' : parts.join(', ');
}

export type HealthTone = 'ok' | 'warn' | 'fail' | 'none';

/** Green when healthy, amber while starting, red when unhealthy; none without a check. */
export function healthTone(health: string | null): HealthTone {
  if (health === 'healthy') return 'ok';
  if (health === 'starting') return 'warn';
  if (health === 'unhealthy') return 'fail';
  return 'none';
}

/** The last line said about each resource during an apply or a down, in first-heard order. */
export function latestLines(lines: readonly { subject: string; line: string }[]): { subject: string; line: string }[] {
  const last = new Map<string, string>();
  for (const l of lines) last.set(l.subject, l.line);
  return [...last].map(([subject, line]) => ({ subject, line }));
}
