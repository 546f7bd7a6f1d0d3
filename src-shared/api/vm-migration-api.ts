// Moving a running VM to another host: the steps of one live migration, each on the helper
// it concerns. The caller (`nova vm migrate`, src-main/core/hosts/vm-migration.ts) holds an
// authorized connection to both helpers and carries what one gives to the other: the
// source's offer to the destination, the destination's ports and one-off TLS client
// credentials to the source. No helper ever talks to another helper's API.
import { z } from 'zod';
import { POLKIT_ACTIONS } from '../actions.js';
import { DiskFormatSchema, VmDefinitionSchema, VmInfoSchema, VmNameSchema } from '../vm.js';
import { defineMethod } from './define.js';

const manage = { by: 'helper', action: POLKIT_ACTIONS.vmManage } as const;

/** The largest UEFI variables file an offer carries (OVMF's 4M build has 528 KiB). */
export const MAX_UEFI_VARS_BYTES = 640 * 1024;

/** Disks and memory of a large guest cross a LAN in minutes; a stuck one fails by itself. */
const MIGRATION_TIMEOUT_MS = 60 * 60_000;

export const MigrationDiskSchema = z.strictObject({
  id: z.string().regex(/^disk[0-9]{1,2}$/),
  format: DiskFormatSchema,
  /** The guest's size of the disk in bytes: the destination's empty copy has exactly this size. */
  virtualSize: z.number().int().positive(),
});
export type MigrationDisk = z.infer<typeof MigrationDiskSchema>;

/** What the destination needs to start an identical QEMU, as the source's helper states it. */
export const MigrationOfferSchema = z.strictObject({
  definition: VmDefinitionSchema,
  /** The machine type the source's QEMU really runs ("pc-q35-7.2"): an alias may mean another on the destination. */
  machineType: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/),
  /** The accelerator the guest runs on: its CPU model depends on it. */
  accel: z.enum(['kvm', 'tcg']),
  disks: z.array(MigrationDiskSchema).max(16),
  /** The CPU features the guest has (QEMU's names): the destination refuses what it lacks and turns off what it has more. */
  cpuFeatures: z.array(z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/)).max(2048).optional(),
  /** A UEFI VM's variables file (base64) as it is now: the destination starts from it, and pflash's contents then come in the stream. */
  uefiVars: z.string().max(Math.ceil(MAX_UEFI_VARS_BYTES / 3) * 4).regex(/^[A-Za-z0-9+/]*={0,2}$/, 'base64').optional(),
});
export type MigrationOffer = z.infer<typeof MigrationOfferSchema>;

/** A DNS name or an IP address, as a user writes it in ssh://: never an option or a path. */
export const MigrationHostSchema = z.string().regex(/^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|[0-9a-fA-F:.]{2,45})$/, 'a host name or an IP address');

const PemSchema = z.string().max(16_384).regex(/^-----BEGIN [A-Z ]+-----\n/, 'a PEM block');

/** The one-off credentials a source's QEMU presents to this migration's listeners, and the CA that signed their server certificate. */
export const MigrationClientTlsSchema = z.strictObject({ caCert: PemSchema, clientCert: PemSchema, clientKey: PemSchema });
export type MigrationClientTls = z.infer<typeof MigrationClientTlsSchema>;

/** Where the destination's QEMU listens for this one migration: its memory stream and its NBD server for the disks. */
export const MigrationTargetSchema = z.strictObject({
  host: MigrationHostSchema,
  migrationPort: z.number().int().min(1).max(65535),
  nbdPort: z.number().int().min(1).max(65535),
  tls: MigrationClientTlsSchema,
});
export type MigrationTarget = z.infer<typeof MigrationTargetSchema>;

export const MigrationResultSchema = z.strictObject({
  /** How long the guest was paused at the switch-over, as the source's QEMU measured it. */
  downtimeMs: z.number().nonnegative(),
  /** From the first disk block to the switch-over. */
  totalMs: z.number().nonnegative(),
  diskBytes: z.number().int().nonnegative(),
  ramBytes: z.number().int().nonnegative(),
});
export type MigrationResult = z.infer<typeof MigrationResultSchema>;

export const vmMigrationMethods = {
  'vm.migrateOffer': defineMethod({
    summary: 'Source: what a running VM needs on another host (definition, machine type, accelerator, disk sizes and formats); refuses at once what cannot move (passed-through PCI or USB devices, shared folders); a UEFI VM\'s variables file comes along, a TPM\'s state travels in the migration stream',
    params: z.strictObject({ name: VmNameSchema }),
    result: MigrationOfferSchema,
    served: manage,
  }),
  'vm.migrateIncoming': defineMethod({
    summary: "Destination: checks the offer (name free, networks, accelerator, machine type) before making anything, then makes the VM's folder and empty disks and starts its QEMU paused, waiting for this one migration on `listen` with one-off TLS credentials; returns the ports and the client's credentials",
    params: z.strictObject({ offer: MigrationOfferSchema, listen: MigrationHostSchema, postcopy: z.boolean().default(false) }),
    result: z.strictObject({ migrationPort: z.number().int(), nbdPort: z.number().int(), tls: MigrationClientTlsSchema }),
    served: manage,
    timeoutMs: 120_000,
  }),
  'vm.migrateSend': defineMethod({
    summary: 'Source: copies the disks (blockdev-mirror into the destination\'s NBD server) and then the memory (migrate), both over TLS; an operation, cancelling leaves the VM running here',
    params: z.strictObject({ name: VmNameSchema, to: MigrationTargetSchema, postcopy: z.boolean().default(false) }),
    result: MigrationResultSchema,
    served: manage,
    timeoutMs: MIGRATION_TIMEOUT_MS,
  }),
  'vm.migrateFinish': defineMethod({
    summary: 'Destination: the migration arrived whole; the guest runs here now',
    params: z.strictObject({ name: VmNameSchema }),
    result: VmInfoSchema,
    served: manage,
  }),
  'vm.migrateDiscard': defineMethod({
    summary: 'Destination: a migration that failed or was cancelled; its QEMU, disks and folder go (only a VM still waiting for its migration)',
    params: z.strictObject({ name: VmNameSchema }),
    result: z.strictObject({ ok: z.literal(true) }),
    served: manage,
  }),
  'vm.migrateComplete': defineMethod({
    summary: "Source: the VM runs on the destination; its QEMU here stops and its copy (definition, disks, folder) is removed (only a VM whose migration completed)",
    params: z.strictObject({ name: VmNameSchema }),
    result: z.strictObject({ ok: z.literal(true) }),
    served: manage,
  }),
} as const;
