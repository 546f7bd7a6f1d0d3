// The first run's demo offer: where the demo's NovaFile is (main knows; null hides the
// offer), and one `project.up` of it with the progress lines main pushes meanwhile.
// Kept by the Dashboard page, not the empty state, since the state must outlive the
// moment the first guest appears and the empty state goes away.
import { useCallback, useEffect, useState } from 'react';
import { toErrorShape, type ErrorShape, type ProjectApplyOutcome } from '../../../../src-shared/index.js';
import type { NovaClient } from '../../transport/nova-client.js';

export type DemoStatus = 'idle' | 'running' | 'done' | 'failed';

export interface DemoRun {
  file: string | null;
  status: DemoStatus;
  lines: string[];
  outcome: ProjectApplyOutcome | null;
  error: ErrorShape | null;
  start: () => void;
  cancel: () => void;
}

const MAX_LINES = 200;

export function useDemoRun(client: NovaClient): DemoRun {
  const [file, setFile] = useState<string | null>(null);
  const [status, setStatus] = useState<DemoStatus>('idle');
  const [lines, setLines] = useState<string[]>([]);
  const [outcome, setOutcome] = useState<ProjectApplyOutcome | null>(null);
  const [error, setError] = useState<ErrorShape | null>(null);

  useEffect(() => {
    let live = true;
    // An older main without the method simply offers no demo.
    client.call('project.demo', {}).then(
      (r) => live && setFile(r.file),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [client]);

  useEffect(() => {
    if (!file) return;
    return client.on('project.progress', (p) => {
      if (p.file === file && p.action === 'up') setLines((l) => [...l, `${p.subject}: ${p.line}`].slice(-MAX_LINES));
    });
  }, [client, file]);

  const start = useCallback(() => {
    if (!file) return;
    setStatus('running');
    setLines([]);
    setError(null);
    setOutcome(null);
    client.call('project.up', { path: file }).then(
      (r) => {
        setOutcome(r.outcome);
        setStatus(r.outcome && (r.outcome.failed.length > 0 || r.outcome.cancelled) ? 'failed' : 'done');
      },
      (err: unknown) => {
        setError(toErrorShape(err));
        setStatus('failed');
      },
    );
  }, [client, file]);

  const cancel = useCallback(() => {
    if (file) void client.call('project.cancel', { path: file }).catch(() => undefined);
  }, [client, file]);

  return { file, status, lines, outcome, error, start, cancel };
}
