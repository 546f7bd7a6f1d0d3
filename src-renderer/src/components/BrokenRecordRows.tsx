// Rows for resources whose state file the helper cannot read: the name, "broken" as a
// failing status, and the reason (the file and its fault) across the other columns.
import type { BrokenRecord } from '../../../src-shared/broken-record.js';
import { StatusBadge } from './StatusBadge.js';

export function BrokenRecordRows({ broken, columns }: { broken: readonly BrokenRecord[]; columns: number }) {
  return (
    <>
      {broken.map((b) => (
        <tr key={`broken:${b.name}`} data-broken={b.name}>
          <th scope="row">{b.name}</th>
          <td>
            <StatusBadge status="fail" /> broken
          </td>
          <td colSpan={Math.max(1, columns - 2)} className="muted">
            {b.stateReason}
          </td>
        </tr>
      ))}
    </>
  );
}
