// The NovaFile's schema: every table and key a NovaFile may hold. Each key is its
// contract field (src-shared) under the NovaFile's name, with the NovaFile's messages
// and the rules between keys of one table layered on top (novafile-*-schema.ts). The
// parser adds file, line, column and key; checks that span tables (network references,
// duplicate names) live in novafile-references.ts.
import type { z } from 'zod';
import { DomainSchema } from '../../../src-shared/network.js';
import { nameSchema } from '../../../src-shared/vocabulary/index.js';
import type { KeyPath } from './novafile-positions.js';
import { AssetsTableSchema, assetsShape } from './novafile-assets-schema.js';
import { CapsuleTableSchema, capsuleShape } from './novafile-capsule-schema.js';
import { NetworkTableSchema, networkShape } from './novafile-network-schema.js';
import { layered, namedTables, table } from './novafile-schema-kit.js';
import { capsuleHealthShape, vmHealthShape } from './novafile-health-schema.js';
import { SnapshotTableSchema, snapshotShape } from './novafile-snapshot-schema.js';
import { cloudInitShape, diskShape, VmTableSchema, vmShape } from './novafile-vm-schema.js';

export type { CapsuleDocument } from './novafile-capsule-schema.js';
export type { NetworkDocument } from './novafile-network-schema.js';
export type { GpuPassthrough, VmDocument } from './novafile-vm-schema.js';

const topShape = {
  /** Names the project. */
  project: layered(nameSchema('project'), 'the name of a project'),
  /** Service discovery: guests resolve each other as NAME.<domain> on networks with dns. */
  domain: layered(DomainSchema, 'a DNS domain such as "lab.example"').optional(),
  vm: namedTables('vm', 'vm', 'VM', VmTableSchema).optional(),
  container: namedTables('container', 'capsule', 'capsule', CapsuleTableSchema).optional(),
  /** Same as [container.NAME]; a name may appear under only one of the two. */
  capsule: namedTables('capsule', 'capsule', 'capsule', CapsuleTableSchema).optional(),
  network: namedTables('network', 'network', 'network', NetworkTableSchema).optional(),
  /** Project-wide snapshot schedule and retention; a guest's own `snapshots` table overrides it. */
  snapshots: SnapshotTableSchema.optional(),
  /** Files and images Nova makes on first use (the demo's kernel, initramfs and image). */
  assets: AssetsTableSchema.optional(),
};

export const NovaFileSchema = table(topShape, 'a NovaFile');

/** The file as validated: values parsed and typed, paths still as written. */
export type NovaFileDocument = z.output<typeof NovaFileSchema>;

/** The keys valid in the table at `path` (for "did you mean"), or undefined when any key is. */
export function knownKeysAt(path: KeyPath): readonly string[] | undefined {
  const kind = tableKindAt(path);
  return kind === undefined ? undefined : KEYS_BY_KIND[kind];
}

export type TableKind = 'top' | 'vm' | 'capsule' | 'network' | 'cloud_init' | 'vm_health' | 'vm_disk' | 'capsule_health' | 'snapshots' | 'assets';

const KEYS_BY_KIND: Record<TableKind, readonly string[]> = {
  top: Object.keys(topShape),
  vm: Object.keys(vmShape),
  capsule: Object.keys(capsuleShape),
  network: Object.keys(networkShape),
  cloud_init: Object.keys(cloudInitShape),
  vm_health: Object.keys(vmHealthShape),
  vm_disk: Object.keys(diskShape),
  capsule_health: Object.keys(capsuleHealthShape),
  snapshots: Object.keys(snapshotShape),
  assets: Object.keys(assetsShape),
};

export function tableKindAt(path: KeyPath): TableKind | undefined {
  const [group, , field] = path;
  if (path.length === 0) return 'top';
  if (path.length === 1 && group === 'assets') return 'assets';
  if (path.length === 2 && group === 'vm') return 'vm';
  if (path.length === 2 && (group === 'container' || group === 'capsule')) return 'capsule';
  if (path.length === 2 && group === 'network') return 'network';
  if (path.length === 3 && group === 'vm' && field === 'cloud_init') return 'cloud_init';
  if (path.length === 3 && group === 'vm' && field === 'health') return 'vm_health';
  if (path.length === 4 && group === 'vm' && field === 'disk' && typeof path[3] === 'number') return 'vm_disk';
  if ((path.length === 1 && group === 'snapshots') || (path.length === 3 && group !== 'network' && field === 'snapshots')) return 'snapshots';
  if (path.length === 3 && (group === 'container' || group === 'capsule') && field === 'health') return 'capsule_health';
  return undefined;
}

/** Which other kinds of table accept `key` (to explain "ports" written in a VM). */
export function kindsAccepting(key: string): TableKind[] {
  return (Object.keys(KEYS_BY_KIND) as TableKind[]).filter((kind) => KEYS_BY_KIND[kind].includes(key));
}
