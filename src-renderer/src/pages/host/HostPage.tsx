// The Host page: what this machine can run and why. Reads the (possibly cached)
// report on open; Re-check re-runs every probe. A failed Re-check keeps the last
// good report on screen beneath the error, since it is still the best information.
import { useEffect } from 'react';
import { useStore } from 'zustand';
import { useServices } from '../../app/services.js';
import { ErrorPanel } from '../../components/ErrorPanel.js';
import { PageHeader } from '../../components/PageHeader.js';
import { groupReport } from '../../lib/host-report.js';
import { CheckGroupSection } from './CheckGroupSection.js';
import { CheckProgress } from './CheckProgress.js';
import { HostSummary } from './HostSummary.js';
import { RecheckButton } from './RecheckButton.js';

export function HostPage() {
  const { host, connection } = useServices();
  // A call made while the transport is down waits for it; say so rather than "checking".
  const linked = useStore(connection, (s) => s.transport.status === 'connected');
  const report = useStore(host, (s) => s.report);
  const phase = useStore(host, (s) => s.phase);
  const startedAt = useStore(host, (s) => s.startedAt);
  const error = useStore(host, (s) => s.error);
  const load = useStore(host, (s) => s.load);
  const recheck = useStore(host, (s) => s.recheck);

  useEffect(() => {
    void load();
  }, [load]);

  const busy = phase !== 'idle';
  return (
    <>
      <PageHeader
        title="Host"
        subtitle="What this machine can run, and what to fix when it cannot."
        actions={
          <>
            {busy && startedAt !== null && (
              <CheckProgress
                phase={phase}
                startedAt={startedAt}
                expectedMs={phase === 'rechecking' && report ? report.durationMs : null}
                waiting={!linked}
              />
            )}
            <RecheckButton busy={busy} onRecheck={() => void recheck()} />
          </>
        }
      />
      <div className="page-body" aria-busy={busy}>
        {error && (
          <ErrorPanel
            context={report ? 'Re-check failed; showing the previous report' : 'Could not check this host'}
            error={error}
            onRetry={() => void (report ? recheck() : load())}
            busy={busy}
          />
        )}
        {report && (
          <>
            <HostSummary report={report} />
            {groupReport(report).map((group) => (
              <CheckGroupSection key={group.group} group={group} />
            ))}
          </>
        )}
      </div>
    </>
  );
}
