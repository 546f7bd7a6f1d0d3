// `nova plan` end to end: read and validate the NovaFile, map it to the helper's specs,
// read what the helper has and what the host lacks, then plan. Plain Node, so the CLI,
// the web mode and (later) the Projects page share it.
import { readFile, stat } from 'node:fs/promises';
import { NovaError } from '../../../src-shared/errors.js';
import type { ProjectPlan } from '../../../src-shared/project.js';
import type { NovaFileDiagnostic } from '../../../src-shared/novafile.js';
import type { ImageListEntry } from '../../../src-shared/vm.js';
import { novaFileLocator } from '../novafile-apply.js';
import { loadNovaFile } from '../novafile/novafile-parser.js';
import type { NovaFileConfig } from '../novafile/novafile-config.js';
import { readActualState, type ActualState, type StateReader } from './actual-state.js';
import { desiredState, type DesiredState } from './desired-state.js';
import { resolveLibraryImages, type ResolvedLibraryImage } from './library-images.js';
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

/**
 * The file read, validated and mapped to the helper's specs (what plan, up, down and ps start
 * from). With the image library, names in it become its images' paths; without (down, ps,
 * which need only names), every value stays a path.
 */
export async function loadDesiredState(
  file: string,
  onDiagnostic?: (d: NovaFileDiagnostic) => void,
  library?: () => Promise<readonly ImageListEntry[]>,
): Promise<{ config: NovaFileConfig; desired: DesiredState; diagnostics: NovaFileDiagnostic[]; libraryImages: ResolvedLibraryImage[] }> {
  const loaded = await loadNovaFile(file);
  for (const d of loaded.diagnostics) onDiagnostic?.(d);
  if (!loaded.config) {
    const errors = loaded.diagnostics.filter((d) => d.severity === 'error').length;
    throw new NovaError('invalid_argument', `${file}: ${errors} problem(s) in the NovaFile; fix them and plan again (nova validate ${file} lists them)`);
  }
  const text = await readFile(loaded.config.file, 'utf8');
  const locate = novaFileLocator(loaded.config.file, text);
  // The library is read only when the file writes a bare name somewhere.
  const named = loaded.config.vms.some((vm) => (vm.libraryNames?.length ?? 0) > 0);
  const { config, resolved } = library && named ? await resolveLibraryImages(loaded.config, { images: await library(), exists: fileExists }, locate) : { config: loaded.config, resolved: [] };
  return { config, desired: desiredState(config, locate), diagnostics: loaded.diagnostics, libraryImages: resolved };
}

const fileExists = (p: string) => stat(p).then(() => true, () => false);

export async function planNovaFile(file: string, helper: StateReader, onDiagnostic?: (d: NovaFileDiagnostic) => void): Promise<PlanOutcome> {
  const { config, desired, diagnostics, libraryImages } = await loadDesiredState(file, onDiagnostic, () => helper.call('image.list', {}));
  const [actual, report] = await Promise.all([
    readActualState(helper),
    needsHostReport(config) ? helper.call('host.check', { refresh: false }) : Promise.resolve(null),
  ]);
  // Without an IOMMU no GPU qualifies, and the blocker says why: the inventory is not needed then.
  const iommuOn = report?.items.some((i) => i.id === 'iommu' && i.status === 'ok') === true;
  const devices = needsDeviceList(config) && iommuOn ? await helper.call('device.list', { refresh: true }) : null;
  // A library image is the helper's file, in a folder this user may not even see into: image.list vouched for it.
  const fromLibrary = new Set(libraryImages.map((i) => i.path));
  const blocked = await findBlockers(config, { report, pci: devices?.pci ?? null, exists: async (p) => fromLibrary.has(p) || (await fileExists(p)) });
  const plan = planProject(desired, actual, blocked);
  return { plan: libraryImages.length > 0 ? { ...plan, libraryImages } : plan, diagnostics, desired, actual };
}
