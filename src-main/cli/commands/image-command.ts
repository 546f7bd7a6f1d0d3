// `nova image ls|pull|import|inspect|rm` for both image kinds: OCI images for capsules
// (ociImage.*) and the VM disk library (image.*). An import decides the kind from the
// file's magic numbers; pulls and imports show progress and cancel on Ctrl+C.
import { open } from 'node:fs/promises';
import { resolve } from 'node:path';
import { constants, gunzipSync } from 'node:zlib';
import { type Command, InvalidArgumentError } from 'commander';
import { NovaError } from '../../../src-shared/errors.js';
import type { OciImage } from '../../../src-shared/capsule.js';
import type { ImageListEntry } from '../../../src-shared/vm.js';
import { handedImport } from '../../core/file-handoff.js';
import type { HelperClient } from '../../core/helper-client.js';
import { outFn, withHelper, type CliContext } from '../cli-context.js';
import { callOperation, progressStyleFor } from '../operation-call.js';

function bytes(n: number): string {
  const units = ['B', 'Ki', 'Mi', 'Gi', 'Ti'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(i === 0 ? 0 : 1)}${units[i]}`;
}

export type ListedImage = ({ kind: 'vm' } & ImageListEntry) | ({ kind: 'oci' } & OciImage);

export function formatImageTable(list: ListedImage[]): string {
  // A VM image's kind is what it is for (disk, iso, kernel, initrd), as the Images page shows it.
  const header = 'KIND    NAME                                     FORMAT  SIZE      DETAIL';
  const rows = list.map((i) =>
    i.kind === 'oci'
      ? ['oci'.padEnd(7), i.name.padEnd(40), 'oci'.padEnd(7), bytes(i.sizeBytes).padEnd(9), `${i.source} ${i.digest.slice(0, 19)}`].join(' ')
      : [i.type.padEnd(7), i.name.padEnd(40), i.format.padEnd(7), bytes(i.actualSize).padEnd(9), vmImageDetail(i)].join(' '),
  );
  return [header, ...rows].join('\n');
}

function vmImageDetail(i: ImageListEntry): string {
  const what = i.type === 'kernel' || i.type === 'initrd' ? [i.detail, i.kernelVersion].filter(Boolean).join(' ') : `virtual ${bytes(i.virtualSize)}`;
  return `${what}${i.usedBy.length > 0 ? `, used by ${i.usedBy.join(', ')}` : ''}`;
}

// ---- image kind detection for `nova image import` ----

export type ImportKind = { kind: 'oci' | 'vm'; why: string };

/** Reads the file's magic numbers, then its extension: OCI archives and rootfs tarballs vs disks, ISOs, kernels. */
export async function detectImportKind(path: string): Promise<ImportKind> {
  const fh = await open(path, 'r').catch((err: NodeJS.ErrnoException) => {
    throw new NovaError(err.code === 'ENOENT' ? 'not_found' : 'invalid_argument', `Cannot read ${path}: ${err.message}`);
  });
  const head = Buffer.alloc(0x8010);
  try {
    await fh.read(head, 0, head.length, 0);
  } finally {
    await fh.close();
  }
  const at = (offset: number, magic: string) => head.subarray(offset, offset + magic.length).toString('latin1') === magic;
  if (head[0] === 0x1f && head[1] === 0x8b) return gunzippedCpio(head) ? { kind: 'vm', why: 'a gzip-compressed initrd' } : { kind: 'oci', why: 'a gzip-compressed tarball' };
  if (at(257, 'ustar')) return { kind: 'oci', why: 'a tar archive' };
  if (at(0, 'QFI\xfb')) return { kind: 'vm', why: 'a qcow2 disk' };
  if (at(0x8001, 'CD001')) return { kind: 'vm', why: 'an ISO 9660 image' };
  if (at(0, 'KDMV') || at(0, 'vhdxfile') || at(0x40, '\x7f\x10\xda\xbe')) return { kind: 'vm', why: 'a VMDK/VHDX/VDI disk' };
  if (at(0x202, 'HdrS')) return { kind: 'vm', why: 'a Linux kernel (bzImage)' };
  if (at(0, '\x7fELF')) return { kind: 'vm', why: 'an ELF kernel (vmlinux)' };
  if (/\.(tar|tgz|tar\.gz|oci|oci\.tar)$/i.test(path)) return { kind: 'oci', why: 'a tar file name' };
  return { kind: 'vm', why: 'not an archive: taken as a raw disk, initrd or kernel' };
}

/** A gzipped cpio archive (an initrd) rather than a tarball: told from the stream's first bytes. */
function gunzippedCpio(head: Buffer): boolean {
  try {
    return /^07070[127]/.test(gunzipSync(head, { finishFlush: constants.Z_SYNC_FLUSH }).subarray(0, 6).toString('latin1'));
  } catch {
    return false;
  }
}

// ---- commands ----



export function registerImageCommand(program: Command, ctx: CliContext): void {
  const helper = <T>(work: (h: HelperClient) => Promise<T>) => withHelper(ctx, work);
  const out = outFn(ctx);
  const json = (o: { json?: boolean }) => o.json === true || ctx.globals().json;
  const listBoth = async (h: HelperClient): Promise<ListedImage[]> => {
    const [vm, oci] = await Promise.all([h.call('image.list', {}), h.call('ociImage.list', {})]);
    return [...oci.images.map((i) => ({ kind: 'oci' as const, ...i })), ...vm.map((i) => ({ kind: 'vm' as const, ...i }))];
  };

  const image = program.command('image').description('Images: OCI images for capsules and disks, ISOs and kernels for VMs');
  image
    .command('ls')
    .description('List both kinds of image')
    .option('--json', 'machine-readable output')
    .action(async (o: { json?: boolean }) => {
      const list = await helper(listBoth);
      out(json(o) ? JSON.stringify(list, null, 2) : formatImageTable(list));
    });
  image
    .command('pull <reference>')
    .description('Pull an OCI image from a registry (ubuntu:22.04 means docker.io/library/ubuntu:22.04)')
    .option('--name <name>', 'list it under this local name')
    .option('--insecure', 'plain HTTP / no TLS verification (registries on 127.0.0.1 only)', false)
    .option('--json', 'machine-readable output')
    .action(async (reference: string, o: { name?: string; insecure: boolean; json?: boolean }) => {
      // Progress on stderr; Ctrl+C cancels the pull and the helper removes what it copied.
      const params = { reference, tlsVerify: !o.insecure, ...(o.name ? { name: o.name } : {}) };
      const img = await helper((h) => callOperation(h, 'ociImage.pull', params, { write: ctx.io.stderr, style: progressStyleFor(json(o)) }));
      out(json(o) ? JSON.stringify(img, null, 2) : `pulled ${img.name} (${img.digest.slice(0, 19)}, ${bytes(img.sizeBytes)})`);
    });
  image
    .command('import <file> [name]')
    .description('Import a rootfs tarball or OCI archive (for capsules), or a disk, ISO, kernel or initrd (for VMs)')
    .option('--name <name>', 'the name to list it under')
    .option('--kind <kind>', 'oci or vm, instead of deciding from the file')
    .option('--json', 'machine-readable output')
    .action(async (file: string, positional: string | undefined, o: { name?: string; kind?: string; json?: boolean }) => {
      const name = o.name ?? positional;
      if (!name) throw new InvalidArgumentError('give the image a name: --name NAME');
      const path = resolve(file);
      let kind: ImportKind;
      if (o.kind === 'oci' || o.kind === 'vm') kind = { kind: o.kind, why: 'as asked with --kind' };
      else if (o.kind !== undefined) throw new NovaError('invalid_argument', `--kind is oci or vm, not "${o.kind}"`);
      else kind = await detectImportKind(path);
      if (kind.kind === 'oci') {
        const img = await helper((h) => callOperation(h, 'ociImage.import', { path, name }, { write: ctx.io.stderr, style: progressStyleFor(json(o)) }));
        out(json(o) ? JSON.stringify({ kind: 'oci', ...img }, null, 2) : `imported ${img.name} as an OCI image for capsules (${kind.why}), ${bytes(img.sizeBytes)}`);
      } else {
        // Progress on stderr; Ctrl+C cancels the import and the helper removes the partial file.
        const img = await helper(async (h) => callOperation(h, 'image.import', await handedImport(h, { path, name }), { write: ctx.io.stderr, style: progressStyleFor(json(o)) }));
        out(json(o) ? JSON.stringify({ kind: 'vm', ...img }, null, 2) : `imported ${img.name} as a VM image (${kind.why}): ${img.format}, ${bytes(img.virtualSize)}`);
      }
    });
  image
    .command('inspect <name>')
    .description("An OCI image's config (entrypoint, cmd, env, user, workdir, ports), or a VM image's record")
    .action(async (name: string) => {
      const found = await helper(async (h) => {
        const oci = await h.call('ociImage.inspect', { name }).catch((err: unknown) => {
          if (err instanceof NovaError && (err.code === 'not_found' || err.code === 'invalid_argument')) return null;
          throw err;
        });
        if (oci) return { kind: 'oci' as const, ...oci };
        const vm = (await h.call('image.list', {})).find((i) => i.name === name);
        return vm ? { kind: 'vm' as const, ...vm } : null;
      });
      if (!found) throw new NovaError('not_found', `No image named "${name}" (see nova image ls)`);
      out(JSON.stringify(found, null, 2));
    });
  image
    .command('rm <name>')
    .description('Remove an image nothing uses')
    .option('--kind <kind>', 'oci or vm, when both kinds have this name')
    .action(async (name: string, o: { kind?: string }) => {
      const removed = await helper(async (h) => {
        const list = await listBoth(h);
        const oci = await h.call('ociImage.inspect', { name }).catch(() => null);
        const vm = list.some((i) => i.kind === 'vm' && i.name === name);
        const kind = o.kind ?? (oci && vm ? null : oci ? 'oci' : vm ? 'vm' : null);
        if (kind === null && oci && vm) throw new NovaError('invalid_argument', `Both an OCI image and a VM image are named "${name}": say which with --kind oci or --kind vm`);
        if (kind === 'oci') return `${(await h.call('ociImage.remove', { name })).name} (OCI image)`;
        // Listed as neither: a VM image whose record is broken is still the helper's to remove.
        if (kind === 'vm' || kind === null) {
          await h.call('image.remove', { name }).catch((err: unknown) => {
            throw kind === null && err instanceof NovaError && err.code === 'not_found' ? new NovaError('not_found', `No image named "${name}" (see nova image ls)`) : err;
          });
          return `${name} (VM image)`;
        }
        throw new NovaError('not_found', `No image named "${name}" (see nova image ls)`);
      });
      out(`removed ${removed}`);
    });
}
