// The project's resources as `nova ps` lists them: kind, name (linked to its page),
// state, health and address; one the file no longer declares is marked so. A project on
// several hosts gets a Host column, and a resource's link switches the app to its host.
import type { ProjectResourceRow } from '../../../../src-shared/index.js';
import { useServices } from '../../app/services.js';
import { HealthBadge } from '../../components/HealthBadge.js';

const PAGE = { network: 'networks', vm: 'vms', capsule: 'capsules' } as const;

export function ProjectResources({ rows }: { rows: readonly ProjectResourceRow[] }) {
  if (rows.length === 0) return <p className="muted">The file declares no resources.</p>;
  const hosts = rows.some((r) => r.host !== undefined);
  const { hostChoice } = useServices();
  return (
    <table className="data-table" aria-label="Project resources" data-method="project.ps">
      <thead>
        <tr>
          <th scope="col">Kind</th>
          <th scope="col">Name</th>
          {hosts && <th scope="col">Host</th>}
          <th scope="col">State</th>
          <th scope="col">Health</th>
          <th scope="col">Address</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={`${r.host ?? ''}:${r.kind}:${r.name}`} data-resource={`${r.kind}:${r.name}`} data-host={r.host}>
            <td>{r.kind}</td>
            <th scope="row">
              {r.state === 'absent' ? r.name : <a href={`#/${PAGE[r.kind]}/${encodeURIComponent(r.name)}`} onClick={() => r.host !== undefined && hostChoice.getState().choose(r.host)}>{r.name}</a>}
              {!r.declared && <span className="muted"> (not in the file)</span>}
            </th>
            {hosts && <td data-cell="host">{r.host ?? '—'}</td>}
            <td data-cell="state">{r.state}</td>
            <td data-cell="health">
              <HealthBadge health={r.health} />
            </td>
            <td className="project-mono">{r.address ?? '—'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
