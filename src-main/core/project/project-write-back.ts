// The Projects side of "write this back to the NovaFile" for one resource: plan the file,
// take the resource's differing keys from what runs (novafile-write-back.ts), then parse
// and plan the edited text against the same state and write it only when it parses and
// leaves nothing of what was written to change. The file is written as a whole, atomically,
// and only if nobody changed it since it was read.
import { NovaError } from '../../../src-shared/errors.js';
import type { ProjectWriteBack } from '../../../src-shared/api/project-api.js';
import type { ProjectResourceKind } from '../../../src-shared/project.js';
import { novaFileLocator } from '../novafile-apply.js';
import { readNovaFileText, writeNovaFileText } from '../novafile-file-io.js';
import { formatNovaFileDiagnostic, parseNovaFile } from '../novafile/novafile-parser.js';
import { ownerOf, type ActualState, type StateReader } from './actual-state.js';
import { desiredState } from './desired-state.js';
import { capsuleTable, networkTable, vmTable, type Table } from './export-tables.js';
import { writeBackText } from './novafile-write-back.js';
import { planProject } from './project-plan.js';
import { planNovaFile } from './project-planner.js';

function exportedTable(kind: ProjectResourceKind, name: string, actual: ActualState): { table: Table; owner: string | null } | null {
  if (kind === 'capsule') {
    const c = actual.capsules.find((x) => x.name === name);
    return c ? { table: capsuleTable(c, null).table, owner: ownerOf(kind, c) } : null;
  }
  if (kind === 'vm') {
    const v = actual.vms.find((x) => x.definition.name === name);
    return v ? { table: vmTable(v, null).table, owner: ownerOf(kind, v) } : null;
  }
  const n = actual.networks.find((x) => x.name === name);
  return n ? { table: networkTable(n).table, owner: ownerOf(kind, n) } : null;
}

export async function writeBackResource(path: string, kind: ProjectResourceKind, name: string, helper: StateReader): Promise<ProjectWriteBack> {
  const { file, text } = await readNovaFileText(path);
  const planned = await planNovaFile(file, helper);
  const project = planned.desired.project;
  const subject = `${kind} ${name}`;
  const have = exportedTable(kind, name, planned.actual);
  if (!have) throw new NovaError('not_found', `${subject} is not on this host; nothing to write back`, { kind, name });
  if (have.owner !== project) throw new NovaError('failed_precondition', `${subject} does not belong to project ${project} (${have.owner ? `it is project ${have.owner}'s` : 'it is unmanaged'}); only a project's own resources are written back to its NovaFile`, { kind, name });
  const change = planned.plan.changes.find((c) => c.kind === kind && c.name === name);
  if (!change) return { file, written: [], skipped: [] };
  if (change.class === 'delete') throw new NovaError('failed_precondition', `${file} does not declare ${subject}; add its table by hand (nova export ${name} prints it)`, { kind, name });
  const edited = writeBackText(text, change, have.table);
  if (edited.written.length === 0) return { file, written: [], skipped: edited.skipped };

  const parsed = parseNovaFile(edited.text, file);
  if (!parsed.config) {
    const first = parsed.diagnostics.find((d) => d.severity === 'error');
    throw new NovaError('failed_precondition', `writing ${subject} back would leave ${file} invalid (${first ? formatNovaFileDiagnostic(first) : 'it does not parse'}); nothing was written`, { kind, name });
  }
  const again = planProject(desiredState(parsed.config, novaFileLocator(file, edited.text)), planned.actual);
  const keys = new Set(edited.written.map((w) => w.field));
  const left = (again.changes.find((c) => c.kind === kind && c.name === name)?.fields ?? []).filter((f) => keys.has(f.field) || !edited.skipped.some((s) => s.field === f.field));
  if (left.length > 0) {
    throw new NovaError('failed_precondition', `writing ${subject} back would still plan a change of ${left.map((f) => `${f.field} (${f.old ?? 'unset'} -> ${f.new ?? 'unset'})`).join(', ')}; nothing was written`, { kind, name });
  }
  if ((await readNovaFileText(file)).text !== text) throw new NovaError('failed_precondition', `${file} changed while it was being edited; nothing was written, try again`, { file });
  await writeNovaFileText(file, edited.text);
  return { file, written: edited.written, skipped: edited.skipped };
}
