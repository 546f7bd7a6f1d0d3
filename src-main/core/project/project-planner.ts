// `nova plan` end to end: read and validate the NovaFile, map it to the helper's specs,
// read what the helper has and what the host lacks, then plan. Plain Node, so the CLI,
// the web mode and (later) the Projects page share it.
import { readFile, stat } from 'node:fs/promises';
import { NovaError } from '../../../src-shared/errors.js';
import type { ProjectPlan } from '../../../src-shared/project.js';
import type { NovaFileDiagnostic } from '../../../src-shared/novafile.js';
import { novaFileLocator } from '../novafile-apply.js';
import { loadNovaFile } from '../novafile/novafile-parser.js';
import type { NovaFileConfig } from '../novafile/novafile-config.js';
import { readActualState, type ActualState, type StateReader } from './actual-state.js';
import { desiredState, type DesiredState } from './desired-state.js';
import { findBlockers, needsDeviceList, needsHostReport } from './plan-blockers.js';
import { planProject } from './project-plan.js';

export interface PlanOutcome {
  plan: ProjectPlan;
  /** What the plan was made from, for nova up to apply it. */
  desired: DesiredState;
  actual: ActualState;
  /** Warnings the file gave (errors stop the plan). */
  diagnostics: NovaFileDiagnostic[];
}

/** The file read, validated and mapped to the helper's specs (what plan, up, down and ps start from). */
export async function loadDesiredState(file: string, onDiagnostic?: (d: NovaFileDiagnostic) => void): Promise<{ config: NovaFileConfig; desired: DesiredState; diagnostics: NovaFileDiagnostic[] }> {
  const loaded = await loadNovaFile(file);
  for (const d of loaded.diagnostics) onDiagnostic?.(d);
  if (!loaded.config) {
    const errors = loaded.diagnostics.filter((d) => d.severity === 'error').length;
    throw new NovaError('invalid_argument', `${file}: ${errors} problem(s) in the NovaFile; fix them and plan again (nova validate ${file} lists them)`);
  }
  const config = loaded.config;
  const text = await readFile(config.file, 'utf8');
  return { config, desired: desiredState(config, novaFileLocator(config.file, text)), diagnostics: loaded.diagnostics };
}

export async function planNovaFile(file: string, helper: StateReader, onDiagnostic?: (d: NovaFileDiagnostic) => void): Promise<PlanOutcome> {
  const { config, desired, diagnostics } = await loadDesiredState(file, onDiagnostic);
  const [actual, report] = await Promise.all([
    readActualState(helper),
    needsHostReport(config) ? helper.call('host.check', { refresh: false }) : Promise.resolve(null),
  ]);
  // Without an IOMMU no GPU qualifies, and the blocker says why: the inventory is not needed then.
  const iommuOn = report?.items.some((i) => i.id === 'iommu' && i.status === 'ok') === true;
  const devices = needsDeviceList(config) && iommuOn ? await helper.call('device.list', { refresh: true }) : null;
  const blocked = await findBlockers(config, { report, pci: devices?.pci ?? null, exists: (p) => stat(p).then(() => true, () => false) });
  return { plan: planProject(desired, actual, blocked), diagnostics, desired, actual };
}
