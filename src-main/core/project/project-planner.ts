// `nova plan` end to end: read and validate the NovaFile, map it to the helper's specs,
// read what the helpers have and what their hosts lack, then plan. Plain Node, so the CLI,
// the web mode and the Projects page share it. A project may span hosts (`host = "NAME"`
// per guest, a default host from `nova --host`): each host involved is read side by side.
import { readFile, stat } from 'node:fs/promises';
import { NovaError } from '../../../src-shared/errors.js';
import type { Blocked, ProjectPlan } from '../../../src-shared/project.js';
import type { NovaFileDiagnostic } from '../../../src-shared/novafile.js';
import type { ImageListEntry } from '../../../src-shared/vm.js';
import { novaFileLocator } from '../novafile-apply.js';
import { loadNovaFile } from '../novafile/novafile-parser.js';
import type { NovaFileConfig } from '../novafile/novafile-config.js';
import { LOCAL_HOST } from '../../../src-shared/vocabulary/index.js';
import { readHostStates, type ActualState, type StateReader } from './actual-state.js';
import { desiredState, type DesiredState } from './desired-state.js';
import { resolveLibraryImages, type ResolvedLibraryImage } from './library-images.js';
import { findBlockers, needsDeviceList, needsHostReport } from './plan-blockers.js';
import { planAcrossHosts } from './project-plan.js';

/** Where a project's guests go and how each host is reached. */
export interface ProjectHostReaders {
  /** Where a guest without a `host` key runs: `nova --host`, else this machine ("local"). */
  defaultHost: string;
  /** The saved host names: a `host` key naming another is an error at its line. */
  knownHosts: readonly string[];
  /** Hosts the project was last applied on (read too; those no longer saved are left out). */
  rememberedHosts?: readonly string[];
  /** A host's helper, connected; "local" is this machine's. */
  reader(host: string): Promise<StateReader>;
}

/** One helper for everything: a project on this machine only. */
export function singleHost(helper: StateReader): ProjectHostReaders {
  return { defaultHost: LOCAL_HOST, knownHosts: [], reader: () => Promise.resolve(helper) };
}

function readersOf(helper: StateReader | ProjectHostReaders): ProjectHostReaders {
  return 'reader' in helper ? helper : singleHost(helper);
}

export interface PlanOutcome {
  plan: ProjectPlan;
  /** What the plan was made from, for nova up to apply it. */
  desired: DesiredState;
  actual: ActualState;
  /** Each host's state (one entry, `actual`'s, for a project on one host). */
  actualByHost: Map<string, ActualState>;
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
  library?: (host: string) => Promise<readonly ImageListEntry[]>,
  placement?: Pick<ProjectHostReaders, 'defaultHost' | 'knownHosts' | 'rememberedHosts'>,
): Promise<{ config: NovaFileConfig; desired: DesiredState; diagnostics: NovaFileDiagnostic[]; libraryImages: ResolvedLibraryImage[] }> {
  const loaded = await loadNovaFile(file, placement ? { knownHosts: placement.knownHosts } : undefined);
  for (const d of loaded.diagnostics) onDiagnostic?.(d);
  if (!loaded.config) {
    const errors = loaded.diagnostics.filter((d) => d.severity === 'error').length;
    throw new NovaError('invalid_argument', `${file}: ${errors} problem(s) in the NovaFile; fix them and plan again (nova validate ${file} lists them)`);
  }
  const text = await readFile(loaded.config.file, 'utf8');
  const locate = novaFileLocator(loaded.config.file, text);
  const defaultHost = placement?.defaultHost ?? LOCAL_HOST;
  const { config, resolved } = library ? await resolveOnHosts(loaded.config, library, locate, defaultHost) : { config: loaded.config, resolved: [] };
  const remembered = (placement?.rememberedHosts ?? []).filter((h) => placement?.knownHosts.includes(h));
  return { config, desired: desiredState(config, locate, defaultHost, remembered), diagnostics: loaded.diagnostics, libraryImages: resolved };
}

/** Library names resolve against the library of the host each VM runs on; it is read only when a VM there writes a bare name. */
async function resolveOnHosts(
  config: NovaFileConfig,
  library: (host: string) => Promise<readonly ImageListEntry[]>,
  locate: ReturnType<typeof novaFileLocator>,
  defaultHost: string,
): Promise<{ config: NovaFileConfig; resolved: ResolvedLibraryImage[] }> {
  const hostOf = (vm: NovaFileConfig['vms'][number]) => vm.host ?? defaultHost;
  const named = [...new Set(config.vms.filter((vm) => (vm.libraryNames?.length ?? 0) > 0).map(hostOf))];
  const vms = new Map(config.vms.map((vm) => [vm.name, vm]));
  const resolved: ResolvedLibraryImage[] = [];
  for (const host of named) {
    const part = await resolveLibraryImages({ ...config, vms: config.vms.filter((vm) => hostOf(vm) === host) }, { images: await library(host), exists: fileExists }, locate);
    for (const vm of part.config.vms) vms.set(vm.name, vm);
    resolved.push(...part.resolved);
  }
  return { config: { ...config, vms: config.vms.map((vm) => vms.get(vm.name) ?? vm) }, resolved };
}

const fileExists = (p: string) => stat(p).then(() => true, () => false);

/**
 * `helper`: the one helper of a project on this machine, or how to reach each host of a
 * project that may span several. Every host involved is read before anything is planned.
 */
export async function planNovaFile(file: string, helper: StateReader | ProjectHostReaders, onDiagnostic?: (d: NovaFileDiagnostic) => void): Promise<PlanOutcome> {
  const hosts = readersOf(helper);
  const { config, desired, diagnostics, libraryImages } = await loadDesiredState(file, onDiagnostic, async (host) => (await hosts.reader(host)).call('image.list', {}), hosts);
  const actualByHost = await readHostStates(desired.hosts, hosts.reader);
  const blocked: Blocked[] = [];
  for (const host of desired.hosts) blocked.push(...(await blockersOn(host, config, desired, await hosts.reader(host), libraryImages)));
  const plan = planAcrossHosts(desired, actualByHost, blocked);
  const actual = actualByHost.get(desired.hosts[0]!) ?? { networks: [], vms: [], capsules: [] };
  return { plan: libraryImages.length > 0 ? { ...plan, libraryImages } : plan, diagnostics, desired, actual, actualByHost };
}

/** What one host lacks for its share of the project. The overlay drivers are checked once, with the first host. */
async function blockersOn(host: string, whole: NovaFileConfig, desired: DesiredState, helper: StateReader, libraryImages: readonly ResolvedLibraryImage[]): Promise<Blocked[]> {
  const here = new Set(desired.vms.filter((v) => v.host === host).map((v) => v.config.name));
  const config = { ...whole, vms: whole.vms.filter((vm) => here.has(vm.name)), networks: host === desired.hosts[0] ? whole.networks : [] };
  const report = needsHostReport(config) ? await helper.call('host.check', { refresh: false }) : null;
  // Without an IOMMU no GPU qualifies, and the blocker says why: the inventory is not needed then.
  const iommuOn = report?.items.some((i) => i.id === 'iommu' && i.status === 'ok') === true;
  const devices = needsDeviceList(config) && iommuOn ? await helper.call('device.list', { refresh: true }) : null;
  // A library image is the helper's file, in a folder this user may not even see into: image.list vouched for it.
  const fromLibrary = new Set(libraryImages.map((i) => i.path));
  // Another host's paths are its own: its helper refuses a missing file at create, naming it.
  const exists = host === LOCAL_HOST ? async (p: string) => fromLibrary.has(p) || (await fileExists(p)) : () => Promise.resolve(true);
  return findBlockers(config, { report, pci: devices?.pci ?? null, exists });
}
