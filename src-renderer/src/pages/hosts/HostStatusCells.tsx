// One host's answer in its row: asking (a spinner), reachable with what it runs, or
// unreachable with the reason in ssh's or the helper's own words.
import { CircleAlert, CircleCheck, LoaderCircle } from 'lucide-react';
import type { HostStatusView } from '../../../../src-shared/api/hosts-api.js';

export function statusSentence(status: HostStatusView | undefined): string {
  if (!status) return 'asking';
  return status.reachable ? 'reachable' : `unreachable: ${status.error ?? 'no answer'}`;
}

export function HostStatusCells({ status }: { status: HostStatusView | undefined }) {
  if (!status) {
    return (
      <td data-column="state" colSpan={4}>
        <LoaderCircle aria-hidden="true" size={14} className="spin" /> Asking…
      </td>
    );
  }
  if (!status.reachable) {
    return (
      <td data-column="state" colSpan={4}>
        <CircleAlert aria-hidden="true" size={14} /> Unreachable: <span data-column="reason">{status.error ?? 'no answer'}</span>
      </td>
    );
  }
  return (
    <>
      <td data-column="state">
        <CircleCheck aria-hidden="true" size={14} /> Reachable
      </td>
      <td data-column="version">{status.version}</td>
      <td data-column="accelerator">{status.accelerator}</td>
      <td className="data-table__num" data-column="guests">
        {`${status.vms ?? 0} VMs, ${status.capsules ?? 0} capsules`}
      </td>
    </>
  );
}
