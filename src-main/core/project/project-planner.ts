// `nova plan` end to end: read and validate the NovaFile, map it to the helper's specs,
// read what the helper has and what the host lacks, then plan. Plain Node, so the CLI,
// the web mode and (later) the Projects page share it.
import { readFile, stat } from 'node:fs/promises';
import { NovaError } from '../../../src-shared/errors.js';
import type { ProjectPlan } from '../../../src-shared/project.js';
import type { NovaFileDiagnostic } from '../../../src-shared/novafile.js';
import { novaFileLocator } from '../novafile-apply.js';
import { loadNovaFile } from '../novafile/novafile-parser.js';
import { readActualState, type StateReader } from './actual-state.js';
import { desiredState } from './desired-state.js';
import { findBlockers, needsHostReport } from './plan-blockers.js';
import { planProject } from './project-plan.js';

export interface PlanOutcome {
  plan: ProjectPlan;
  /** Warnings the file gave (errors stop the plan). */
  diagnostics: NovaFileDiagnostic[];
}

export async function planNovaFile(file: string, helper: StateReader, onDiagnostic?: (d: NovaFileDiagnostic) => void): Promise<PlanOutcome> {
  const loaded = await loadNovaFile(file);
  for (const d of loaded.diagnostics) onDiagnostic?.(d);
  if (!loaded.config) {
    const errors = loaded.diagnostics.filter((d) => d.severity === 'error').length;
    throw new NovaError('invalid_argument', `${file}: ${errors} problem(s) in the NovaFile; fix them and plan again (nova validate ${file} lists them)`);
  }
  const config = loaded.config;
  const text = await readFile(config.file, 'utf8');
  const desired = desiredState(config, novaFileLocator(config.file, text));
  const [actual, report] = await Promise.all([
    readActualState(helper),
    needsHostReport(config) ? helper.call('host.check', { refresh: false }) : Promise.resolve(null),
  ]);
  const blocked = await findBlockers(config, { report, exists: (p) => stat(p).then(() => true, () => false) });
  return { plan: planProject(desired, actual, blocked), diagnostics: loaded.diagnostics };
}
