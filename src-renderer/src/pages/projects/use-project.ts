// One opened project's state for the Projects page: the file, its validation and plan,
// its resources, and the apply or down in flight with its lines. Events are signals to
// refetch: a guest's state or health, a network, or a project run starting or ending.
import { useCallback, useEffect, useRef, useState } from 'react';
import { toErrorShape, type ErrorShape, type ProjectApplyOutcome, type ProjectDownOutcome, type ProjectOpened, type ProjectPlan, type ProjectResourceRow } from '../../../../src-shared/index.js';
import type { NovaClient } from '../../transport/nova-client.js';

export type RunAction = 'up' | 'down';

export interface ProjectState {
  opened: ProjectOpened | null;
  plan: ProjectPlan | null;
  rows: ProjectResourceRow[] | null;
  error: ErrorShape | null;
  loading: boolean;
  running: RunAction | null;
  lines: { subject: string; line: string }[];
  result: { action: 'up'; outcome: ProjectApplyOutcome | null } | { action: 'down'; outcome: ProjectDownOutcome } | null;
  runError: ErrorShape | null;
}

const INITIAL: ProjectState = { opened: null, plan: null, rows: null, error: null, loading: true, running: null, lines: [], result: null, runError: null };
const REFRESH_DEBOUNCE_MS = 300;

export function useProject(client: NovaClient, path: string) {
  const [state, setState] = useState<ProjectState>(INITIAL);
  const file = state.opened?.file ?? null;
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);

  const open = useCallback(async () => {
    setState((s) => ({ ...s, loading: true, error: null }));
    try {
      const opened = await client.call('project.open', { path });
      const rows = opened.validation.valid ? await client.call('project.ps', { path: opened.file }).catch(() => null) : null;
      setState((s) => ({ ...s, opened, plan: opened.plan, rows: rows?.resources ?? null, loading: false, error: null }));
    } catch (err) {
      setState((s) => ({ ...s, loading: false, error: toErrorShape(err) }));
    }
  }, [client, path]);

  /** Plan and resources again, keeping the text (the editor may hold unsaved edits). */
  const refresh = useCallback(async () => {
    if (!file) return;
    try {
      const [plan, ps] = await Promise.all([client.call('project.plan', { path: file }), client.call('project.ps', { path: file })]);
      setState((s) => ({ ...s, plan, rows: ps.resources, error: null, opened: s.opened ? { ...s.opened, planError: null } : s.opened }));
    } catch (err) {
      setState((s) => ({ ...s, error: toErrorShape(err) }));
    }
  }, [client, file]);

  useEffect(() => {
    setState(INITIAL);
    void open();
  }, [open]);

  useEffect(() => {
    if (!file) return;
    const soon = () => {
      if (timer.current) clearTimeout(timer.current);
      timer.current = setTimeout(() => void refresh(), REFRESH_DEBOUNCE_MS);
    };
    const offs = [
      client.on('project.progress', (p) => {
        if (p.file === file) setState((s) => ({ ...s, lines: [...s.lines, { subject: p.subject, line: p.line }] }));
      }),
      client.on('project.changed', (p) => {
        if (p.file === file) soon();
      }),
      client.on('capsule.stateChanged', soon),
      client.on('capsule.healthChanged', soon),
      client.on('vm.stateChanged', soon),
      client.on('vm.healthChanged', soon),
      client.on('network.changed', soon),
    ];
    return () => {
      for (const off of offs) off();
      if (timer.current) clearTimeout(timer.current);
    };
  }, [client, file, refresh]);

  const run = useCallback(
    async (action: RunAction, volumes = false): Promise<ProjectState['result']> => {
      if (!file) return null;
      let finished: ProjectState['result'] = null;
      setState((s) => ({ ...s, running: action, lines: [], result: null, runError: null }));
      try {
        const result =
          action === 'up'
            ? ({ action, outcome: (await client.call('project.up', { path: file })).outcome } as const)
            : ({ action, outcome: await client.call('project.down', { path: file, volumes }) } as const);
        setState((s) => ({ ...s, running: null, result }));
        finished = result;
      } catch (err) {
        setState((s) => ({ ...s, running: null, runError: toErrorShape(err) }));
      }
      await refresh();
      return finished;
    },
    [client, file, refresh],
  );

  const cancel = useCallback(async () => {
    if (file) await client.call('project.cancel', { path: file }).catch(() => undefined);
  }, [client, file]);

  /** After a save: the file's text and validation as saved, then a fresh plan. */
  const saved = useCallback(
    async (text: string, validation: ProjectOpened['validation']) => {
      setState((s) => (s.opened ? { ...s, opened: { ...s.opened, text, validation } } : s));
      await refresh();
    },
    [refresh],
  );

  return { state, open, refresh, run, cancel, saved };
}
