// A guest's snapshot schedule and retention on its Snapshots tab, one card for VMs and
// capsules since the helper serves both with one shape: the schedule and keep counts,
// checked while typing by the same schema the helper checks with, saved or removed, and
// "Prune now", which first asks the helper for a dry run so the confirmation names the
// snapshots the rules would delete (and why) before anything is deleted.
import { Save, Scissors, Trash2 } from 'lucide-react';
import { useCallback, useEffect, useState } from 'react';
import { toErrorShape, type ErrorShape } from '../../../src-shared/errors.js';
import { SnapshotPolicySpecSchema, type PruneResult, type SnapshotPolicySpec, type SnapshotPolicyState } from '../../../src-shared/snapshot-policy.js';
import { useServices } from '../app/services.js';
import { errorWords } from '../lib/error-words.js';
import { FormField } from '../pages/vms/FormField.js';
import { announce, announceFailure } from '../stores/toast-store.js';
import type { ResourceBusy } from '../stores/resource-busy.js';
import { useConfirm } from './ConfirmDialog.js';
import { ErrorPanel } from './ErrorPanel.js';

const COUNTS = [
  ['hourly', 'Keep hourly'],
  ['daily', 'Keep daily'],
  ['weekly', 'Keep weekly'],
  ['monthly', 'Keep monthly'],
  ['maxTotal', 'At most, in all'],
] as const;
type CountKey = (typeof COUNTS)[number][0];
type Draft = { schedule: string; beforeUp: boolean } & Record<CountKey, string>;

const EMPTY: Draft = { schedule: '', beforeUp: false, hourly: '', daily: '', weekly: '', monthly: '', maxTotal: '' };

function toDraft(state: SnapshotPolicyState | null): Draft {
  if (!state) return EMPTY;
  const k = state.policy.keep;
  const s = (n: number | undefined) => (n === undefined ? '' : String(n));
  return { schedule: state.policy.schedule ?? '', beforeUp: state.policy.beforeUp ?? false, hourly: s(k.hourly), daily: s(k.daily), weekly: s(k.weekly), monthly: s(k.monthly), maxTotal: s(k.maxTotal) };
}

/** The spec the draft says, or an error per field; names kept forever come from the stored policy. */
function check(draft: Draft, keepForever: readonly string[]): { spec?: SnapshotPolicySpec; errors: Partial<Record<keyof Draft, string>> } {
  const errors: Partial<Record<keyof Draft, string>> = {};
  const keep: Record<string, number> = {};
  for (const [key] of COUNTS) {
    const text = draft[key].trim();
    if (text === '') continue;
    if (/^\d+$/.test(text)) keep[key] = Number(text);
    else errors[key] = 'a whole number of snapshots, or empty for no rule';
  }
  const parsed = SnapshotPolicySpecSchema.safeParse({
    ...(draft.schedule.trim() ? { schedule: draft.schedule.trim() } : {}),
    keep,
    ...(draft.beforeUp ? { beforeUp: true } : {}),
    keepForever: [...keepForever],
  });
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const field = (issue.path.at(-1) ?? 'schedule') as keyof Draft;
      errors[field] ??= issue.message;
    }
  }
  return Object.keys(errors).length === 0 && parsed.success ? { spec: parsed.data, errors } : { errors };
}

interface SnapshotScheduleProps {
  readonly kind: 'vm' | 'capsule';
  readonly name: string;
  readonly busy: ResourceBusy | null;
  /** Runs a prune as the page runs its other actions on the guest (in place, failure kept). */
  readonly run: (label: string, op: () => Promise<unknown>) => Promise<boolean>;
}

export function SnapshotSchedule({ kind, name, busy, run }: SnapshotScheduleProps) {
  const { client } = useServices();
  const { confirm, dialog } = useConfirm();
  const [state, setState] = useState<SnapshotPolicyState | null | undefined>(undefined);
  const [draft, setDraft] = useState<Draft>(EMPTY);
  const [loadError, setLoadError] = useState<ErrorShape | null>(null);
  const [saving, setSaving] = useState(false);

  const reload = useCallback(async () => {
    try {
      const got = kind === 'vm' ? await client.call('vm.snapshotPolicyGet', { name }) : await client.call('capsule.snapshotPolicyGet', { name });
      setState(got);
      setDraft(toDraft(got));
      setLoadError(null);
    } catch (err) {
      setLoadError(toErrorShape(err));
    }
  }, [client, kind, name]);
  useEffect(() => {
    void reload();
  }, [reload]);

  const { spec, errors } = check(draft, state?.policy.keepForever ?? []);
  const changed = JSON.stringify(draft) !== JSON.stringify(toDraft(state ?? null));
  const set = (policy: SnapshotPolicySpec | null) => (kind === 'vm' ? client.call('vm.snapshotPolicySet', { name, policy }) : client.call('capsule.snapshotPolicySet', { name, policy }));
  const prune = (dryRun: boolean): Promise<PruneResult> => (kind === 'vm' ? client.call('vm.snapshotPrune', { name, dryRun }) : client.call('capsule.snapshotPrune', { name, dryRun }));

  const save = async (policy: SnapshotPolicySpec | null) => {
    setSaving(true);
    try {
      const saved = await set(policy);
      setState(saved);
      setDraft(toDraft(saved));
      announce(policy ? `Saved the snapshot schedule of '${name}'` : `Removed the snapshot schedule of '${name}'`, saved?.nextRun ? `Next snapshot at ${new Date(saved.nextRun).toLocaleString()}.` : undefined);
    } catch (err) {
      const words = errorWords(toErrorShape(err));
      announceFailure(`Could not ${policy ? 'save' : 'remove'} the snapshot schedule`, `${words.sentence} ${words.next}`);
    } finally {
      setSaving(false);
    }
  };

  const remove = async () => {
    const yes = await confirm({ title: `Remove the snapshot schedule of '${name}'?`, body: <p>No more snapshots are taken or pruned by schedule; the snapshots there are stay.</p>, confirmLabel: 'Remove schedule', confirmMethod: `${kind}.snapshotPolicySet` });
    if (yes) await save(null);
  };

  const pruneNow = async () => {
    let plan: PruneResult;
    try {
      plan = await prune(true);
    } catch (err) {
      const words = errorWords(toErrorShape(err));
      announceFailure('Could not work out what to prune', `${words.sentence} ${words.next}`);
      return;
    }
    if (plan.removed.length === 0) {
      announce('Nothing to prune', `The rules keep all ${plan.kept.length} snapshot${plan.kept.length === 1 ? '' : 's'}; only scheduled snapshots are ever pruned.`);
      return;
    }
    const yes = await confirm({
      title: `Delete ${plan.removed.length} snapshot${plan.removed.length === 1 ? '' : 's'} of '${name}'?`,
      body: (
        <>
          <p>The retention rules no longer keep these; they will be gone for good:</p>
          <ul className="prune-list" aria-label="Snapshots to delete">
            {plan.removed.map((e) => (
              <li key={e.snapshot} data-prune={e.snapshot}>
                <strong>{e.snapshot}</strong> — {e.reason}
              </li>
            ))}
          </ul>
          <p>{`${plan.kept.length} stay: ${plan.kept.map((e) => `${e.snapshot} (${e.reason})`).join('; ') || 'none'}.`}</p>
        </>
      ),
      confirmLabel: 'Prune now',
      confirmMethod: `${kind}.snapshotPrune`,
    });
    if (!yes) return;
    let result: PruneResult | undefined;
    const ok = await run('Pruning snapshots…', async () => (result = await prune(false)));
    if (!ok || !result) return;
    if (result.failed.length > 0) announceFailure(`Pruned ${result.removed.length}; ${result.failed.length} could not be deleted`, result.failed.map((f) => `${f.snapshot}: ${f.reason}`).join('; '));
    else announce(`Pruned ${result.removed.length} snapshot${result.removed.length === 1 ? '' : 's'} of '${name}'`, result.removed.map((e) => e.snapshot).join(', '));
  };

  const off = busy || saving ? true : undefined;
  return (
    <section className="vm-card snapshot-schedule" aria-labelledby={`${kind}-snap-schedule`} data-method={`${kind}.snapshotPolicyGet`}>
      <h2 id={`${kind}-snap-schedule`} className="vm-card__title">
        Schedule and retention
      </h2>
      {loadError && <ErrorPanel context="Could not read the snapshot schedule" error={loadError} onRetry={() => void reload()} />}
      <p className="muted" data-schedule-status>
        {state === undefined
          ? 'Reading…'
          : state === null
            ? 'No schedule: snapshots are taken only by hand.'
            : state.nextRun
              ? `Next scheduled snapshot: ${new Date(state.nextRun).toLocaleString()}${state.lastSlot ? `; last: ${new Date(state.lastSlot).toLocaleString()}` : ''}.`
              : 'Retention rules only: no snapshots are taken by schedule.'}
      </p>
      <form
        noValidate
        aria-label="Snapshot schedule"
        onSubmit={(e) => {
          e.preventDefault();
          if (spec && !off) void save(spec);
        }}
      >
        <div className="vm-form-grid">
          <FormField label="Schedule" error={errors.schedule} hint='"hourly", "daily 02:00", "weekly sun 03:00"; empty for none'>
            {(p) => <input {...p} className="vm-input" value={draft.schedule} spellCheck={false} onChange={(e) => setDraft({ ...draft, schedule: e.target.value })} />}
          </FormField>
          {COUNTS.map(([key, label]) => (
            <FormField key={key} label={label} error={errors[key]}>
              {(p) => <input {...p} className="vm-input" inputMode="numeric" value={draft[key]} placeholder="no rule" onChange={(e) => setDraft({ ...draft, [key]: e.target.value })} />}
            </FormField>
          ))}
        </div>
        <label className="form-check">
          <input type="checkbox" checked={draft.beforeUp} onChange={(e) => setDraft({ ...draft, beforeUp: e.target.checked })} />
          Take one before <code>nova up</code> restarts or replaces it
        </label>
        <div className="vm-wizard__actions">
          <button type="submit" className="button button--primary" data-method={`${kind}.snapshotPolicySet`} aria-disabled={off ?? (!spec || !changed || undefined)} title={busy?.reason}>
            <Save aria-hidden="true" size={14} />
            Save schedule
          </button>
          <button type="button" className="button" data-method={`${kind}.snapshotPrune`} aria-disabled={off ?? (!state || undefined)} title={busy?.reason ?? (state ? undefined : 'Set a schedule first: the rules say which snapshots may go')} onClick={() => !off && state && void pruneNow()}>
            <Scissors aria-hidden="true" size={14} />
            Prune now
          </button>
          {state && (
            <button type="button" className="button" data-method={`${kind}.snapshotPolicySet`} aria-disabled={off} title={busy?.reason} onClick={() => !off && void remove()}>
              <Trash2 aria-hidden="true" size={14} />
              Remove schedule
            </button>
          )}
        </div>
      </form>
      {dialog}
    </section>
  );
}
