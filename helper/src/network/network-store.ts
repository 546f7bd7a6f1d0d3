// Networks on disk: one human-readable JSON file per network in STATE/networks/, kept by
// the helper's RecordStore (atomic writes, a version, forward-only migrations, damaged
// files reported apart). The schema reads every record written since version 1.
import { join } from 'node:path';
import { z } from 'zod';
import {
  AttachmentSchema,
  DhcpRangeSchema,
  EgressRuleSchema,
  ForwardSchema,
  NetworkProfileSchema,
  NetworkTypeSchema,
  PeerSchema,
} from '../../../src-shared/network.js';
import { RecordStore, type DamagedRecord, type RecordFormat } from '../state/record-store.js';
import type { NetworkRecord } from './network-config.js';

export const NETWORK_RECORD_VERSION = 1;

// Plain (not strict) objects: a record is read back by the Nova that wrote it or a newer
// one, and a key this version does not know must not make a whole network vanish.
const SubnetSchema = z.object({
  cidr: z.string(),
  gateway: z.string(),
  prefix: z.number().int(),
  family: z.union([z.literal(4), z.literal(6)]),
});

const WireguardSchema = z.object({
  interface: z.string(),
  listenPort: z.number().int(),
  publicKey: z.string(),
  tunnelAddress: z.string(),
  tunnelPrefix: z.number().int(),
  mtu: z.number().int(),
  peers: z.array(z.object({ publicKey: z.string(), endpoint: z.string(), tunnelAddress: z.string() })),
});

const OverlaySchema = z.object({
  driver: z.enum(['vxlan', 'wireguard']),
  vni: z.number().int(),
  device: z.string(),
  underlay: z.string().nullable(),
  peers: z.array(z.object({ address: z.string(), port: z.number().int() })),
  port: z.number().int(),
  /** Absent in records from before overlays kept their MTU. */
  mtu: z.number().int().optional(),
  wireguard: WireguardSchema.optional(),
});

const NetworkConfigSchema = z.object({
  name: z.string().min(1),
  type: NetworkTypeSchema,
  profile: NetworkProfileSchema,
  bridge: z.string(),
  bridgeMac: z.string(),
  subnet: SubnetSchema.nullable(),
  dhcp: DhcpRangeSchema.nullable(),
  dns: z.boolean(),
  domain: z.string(),
  uplinks: z.array(z.string()),
  peers: z.array(PeerSchema),
  overlay: OverlaySchema.nullable(),
  egressAllow: z.array(EgressRuleSchema).nullable(),
  forwards: z.array(ForwardSchema),
  /** Absent in records of unmanaged networks and of networks made before projects. */
  project: z.string().optional(),
});

/** The contract's attachment without what is observed (hostname, present), plus the tap's owner. */
const AttachmentRecordSchema = z.object(AttachmentSchema.omit({ hostname: true, present: true }).shape).extend({
  /** Absent in records from before taps had owners. */
  tapOwner: z.object({ uid: z.number().int(), gid: z.number().int() }).nullable().optional(),
});

export const NetworkRecordSchema: z.ZodType<NetworkRecord> = z.object({
  version: z.literal(NETWORK_RECORD_VERSION),
  config: NetworkConfigSchema,
  attachments: z.array(AttachmentRecordSchema),
  createdAt: z.string(),
  pending: z.enum(['create', 'delete']).optional(),
});

export const NETWORK_RECORD: RecordFormat<NetworkRecord> = {
  what: 'network record',
  version: NETWORK_RECORD_VERSION,
  schema: NetworkRecordSchema,
  // Forward-only: each step takes version N to N+1. There are none yet.
  migrations: {},
};

export class NetworkStore {
  readonly dir: string;
  private readonly records: RecordStore<NetworkRecord>;

  constructor(stateDir: string) {
    this.dir = join(stateDir, 'networks');
    this.records = new RecordStore(NETWORK_RECORD, this.dir);
  }

  /** Every readable record; a damaged file is named apart and hides no other network. */
  async loadAll(): Promise<{ records: NetworkRecord[]; damaged: DamagedRecord[] }> {
    const { records, damaged } = await this.records.loadAll();
    return { records: [...records.values()], damaged };
  }

  async put(record: NetworkRecord): Promise<void> {
    await this.records.save(record.config.name, record);
  }

  async remove(name: string): Promise<void> {
    await this.records.remove(name);
  }
}
