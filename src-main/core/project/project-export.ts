// One export for both surfaces: `nova export` and the Projects page's project.export read
// the helper's state the same way, pick the same resources and write the same file, so
// the page's file plans as no change exactly when the CLI's does.
import type { SnapshotPolicyState } from '../../../src-shared/snapshot-policy.js';
import { readActualState } from './actual-state.js';
import { exportNovaFile, selectForExport, type ExportKind } from './novafile-export.js';
import type { ProjectHelper } from './project-helper.js';

export interface ProjectExport {
  project: string;
  text: string;
  /** Exported resources of no project: plan reports them as clashes until they are adopted. */
  unmanaged: Array<{ kind: ExportKind; name: string }>;
}

const byName = (states: readonly SnapshotPolicyState[]) => new Map(states.map((s) => [s.name, s.policy]));

/** With `adopt`, the resources of no project become the project's before the file is written. */
export async function exportProject(h: Pick<ProjectHelper, 'call'>, names: readonly string[], project: string | undefined, adopt = false): Promise<ProjectExport> {
  const [actual, vmPolicies, capsulePolicies] = await Promise.all([readActualState(h), h.call('vm.snapshotPolicyList', {}), h.call('capsule.snapshotPolicyList', {})]);
  const sel = selectForExport(actual, names, project);
  if (adopt) {
    for (const r of sel.unmanaged) {
      const params = { name: r.name, project: sel.project };
      if (r.kind === 'vm') await h.call('vm.adopt', params);
      else if (r.kind === 'capsule') await h.call('capsule.adopt', params);
      else await h.call('network.adopt', params);
    }
  }
  return { project: sel.project, text: exportNovaFile(sel, { vm: byName(vmPolicies), capsule: byName(capsulePolicies) }), unmanaged: sel.unmanaged };
}
