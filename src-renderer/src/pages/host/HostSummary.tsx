// The Host page's header card: which machine, which accelerator VMs will get (and
// why, when it is the slow one), which OCI runtime capsules get, and how fresh it is.
import { Box, Clock, Gauge, Server, Wrench } from 'lucide-react';
import type { HostReport } from '../../../../src-shared/index.js';
import { formatAgo, formatClock, formatDuration } from '../../lib/format-time.js';
import { countStatuses, describeCounts, findKvmItem } from '../../lib/host-report.js';
import { useNow } from '../../lib/use-now.js';

/** Findings are written as fragments; in running text they need a full stop. */
function sentence(text: string): string {
  return /[.!?…]$/.test(text.trim()) ? text.trim() : `${text.trim()}.`;
}

export function HostSummary({ report }: { report: HostReport }) {
  const now = useNow(5_000);
  const kvm = findKvmItem(report);
  const counts = countStatuses(report.items);
  const tcg = report.accelerator === 'tcg';
  const generated = Date.parse(report.generatedAt);

  return (
    <section className="host-summary" aria-label="Host summary">
      <div className="host-summary__identity">
        <Server aria-hidden="true" size={20} />
        <div>
          <p className="host-summary__hostname" data-testid="hostname">
            {report.hostname}
          </p>
          <p className="host-summary__counts">
            {report.items.length} checks: {describeCounts(counts)}
          </p>
        </div>
      </div>

      <div
        className={`accelerator-callout accelerator-callout--${report.accelerator}`}
        role="note"
        aria-label="Accelerator"
        data-accelerator={report.accelerator}
      >
        <Gauge aria-hidden="true" size={18} />
        <div>
          <p className="accelerator-callout__title">
            {tcg ? 'VMs will use TCG (software emulation)' : 'VMs will use KVM (hardware acceleration)'}
          </p>
          {tcg && (
            <>
              {kvm && <p className="accelerator-callout__why">Why: {sentence(kvm.summary)}</p>}
              <p className="accelerator-callout__why">
                TCG emulates the CPU in software: guests run, but much slower than with KVM.
              </p>
              {kvm?.remedy && (
                <p className="accelerator-callout__remedy">
                  <Wrench aria-hidden="true" size={13} />
                  <span>
                    <span className="visually-hidden">What to do: </span>
                    {sentence(kvm.remedy)}
                  </span>
                </p>
              )}
            </>
          )}
        </div>
      </div>

      <dl className="host-summary__facts">
        <div>
          <dt>
            <Box aria-hidden="true" size={13} /> OCI runtime
          </dt>
          <dd data-testid="oci-runtime">
            {report.ociRuntime ? (
              <>Capsules will use {report.ociRuntime}</>
            ) : (
              <span className="text-fail">None works: capsules cannot run</span>
            )}
          </dd>
        </div>
        <div>
          <dt>
            <Clock aria-hidden="true" size={13} /> Checked
          </dt>
          <dd>
            <time dateTime={report.generatedAt} data-testid="generated-at" title={report.generatedAt}>
              {formatClock(report.generatedAt)}
            </time>{' '}
            <span className="muted">
              ({Number.isNaN(generated) ? 'unknown' : formatAgo(generated, now)}) ·{' '}
              {report.cached ? 'cached result' : `fresh, took ${formatDuration(report.durationMs)}`}
            </span>
          </dd>
        </div>
      </dl>
    </section>
  );
}
