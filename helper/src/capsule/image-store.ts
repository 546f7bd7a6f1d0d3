// OCI images for capsules: pulled with skopeo, imported from a rootfs tarball (umoci) or
// an OCI/Docker archive (skopeo), unpacked once with umoci into a read-only rootfs that
// capsules overlay. One directory per image under STATE/capsule-images/ID: image.json,
// oci/ (the OCI layout) and bundle/rootfs. Pulls and imports are operations, built in a
// temp dir and renamed: a cancel stops skopeo or umoci and leaves no blob and no image.
// Capsules in a user namespace overlay a second unpack, bundle-HOSTID-SIZE/rootfs, owned by
// the shifted ids (umoci --uid-map), made on first use and removed with the image.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';
import { OciImageSchema, type OciImage, type OciImageConfig } from '../../../src-shared/capsule.js';
import { NovaError } from '../../../src-shared/errors.js';
import type { OperationHandle, OperationManager, Requester } from '../operations/operation-manager.js';
import type { ProcessRunner, ToolEnv } from '../process/process-runner.js';
import { checkRootfsShape } from './rootfs-shape.js';
import { writeFileAtomic } from '../state/atomic-write.js';
import { readRecord, writeRecord, type RecordFormat } from '../state/record-store.js';
import { formatImageReference, isLoopbackRegistry, parseImageReference } from './image-reference.js';
import { ARCHIVE_STDIN, gunzipTo, isGzip, openOwnArchive, type ImportSource } from './import-archive.js';
import { whenCancelled } from './cancelled.js';
import * as argv from './image-tool-argv.js';
import type { IdMapping } from './oci-config.js';
import { registryError } from './registry-errors.js';
import { PullMeter } from './pull-meter.js';

export const IMAGE_RECORD: RecordFormat<{ image: OciImage }> = { what: 'OCI image record', version: 1, schema: z.strictObject({ image: OciImageSchema }) };
const PULL_TIMEOUT_MS = 30 * 60_000;
const LOCAL_TIMEOUT_MS = 10 * 60_000;
const IMPORT_NAME = /^[a-z0-9][a-z0-9._-]{0,127}(?::[\w][\w.-]{0,127})?$/;

export interface ImageTools {
  skopeo: string;
  umoci: string;
  tar: string;
}

export interface ImageStoreOptions {
  stateDir: string;
  runner: Pick<ProcessRunner, 'run'>;
  operations: OperationManager;
  tools?: Partial<ImageTools>;
  /** Whether an image is still used by a capsule (removal is refused then). */
  isInUse?: (imageId: string) => boolean;
}

export interface PullOptions {
  /** TLS verification may be turned off for loopback registries only. */
  tlsVerify?: boolean;
  /** A local name (`NAME[:TAG]`) to list the image under instead of its full reference. */
  name?: string;
}

/** The OCI image config as it is in the layout's config blob (only what we read). */
const BlobConfigSchema = z.object({
  config: z
    .object({
      Entrypoint: z.array(z.string()).nullish(),
      Cmd: z.array(z.string()).nullish(),
      Env: z.array(z.string()).nullish(),
      User: z.string().nullish(),
      WorkingDir: z.string().nullish(),
      ExposedPorts: z.record(z.string(), z.unknown()).nullish(),
      Labels: z.record(z.string(), z.string()).nullish(),
    })
    .nullish(),
});

export function imageConfigFromBlob(blob: unknown): OciImageConfig {
  const c = BlobConfigSchema.parse(blob).config ?? {};
  return {
    entrypoint: c.Entrypoint ?? [],
    cmd: c.Cmd ?? [],
    env: c.Env ?? [],
    user: c.User ?? '',
    workdir: c.WorkingDir ?? '',
    exposedPorts: Object.keys(c.ExposedPorts ?? {}).sort(),
    labels: c.Labels ?? {},
  };
}

/** `NAME` or `NAME:TAG` for an imported image, with `latest` as Docker does. */
export function importName(name: string): string {
  if (!IMPORT_NAME.test(name)) {
    throw new NovaError('invalid_argument', `Invalid image name "${name}": use lowercase letters, digits, . _ - and an optional :tag`);
  }
  return name.includes(':') ? name : `${name}:latest`;
}

const RawManifestSchema = z.object({ layers: z.array(z.object({ size: z.number() })).optional() });

/**
 * The layers and their bytes from a raw manifest (`skopeo inspect --raw`); unknown (null)
 * for a manifest list, whose entry for this host skopeo picks only as it copies.
 */
export function manifestSize(raw: string): { layers: number | null; bytesTotal: number | null } {
  const parsed = RawManifestSchema.safeParse(JSON.parse(raw));
  const layers = parsed.success ? parsed.data.layers : undefined;
  if (!layers) return { layers: null, bytesTotal: null };
  return { layers: layers.length, bytesTotal: layers.reduce((sum, l) => sum + l.size, 0) };
}

/** The rootfs alone, as umociUnpackArgv, with every uid and gid shifted: container id N is host id hostId + N. */
export function umociUnpackShiftedArgv(umoci: string, layoutDir: string, rootfsDir: string, m: IdMapping): string[] {
  const map = `0:${m.hostId}:${m.size}`;
  return [umoci, 'raw', 'unpack', '--uid-map', map, '--gid-map', map, '--image', `${layoutDir}:${argv.LAYOUT_TAG}`, rootfsDir];
}


export class ImageStore {
  readonly root: string;
  private readonly tools: ImageTools;
  /** Shifted unpacks under way, one per image and range: a second caller waits for the first. */
  private readonly shifting = new Map<string, Promise<string>>();
  private indexed: Promise<Map<string, OciImage>> | null = null;

  constructor(private readonly opts: ImageStoreOptions) {
    this.root = join(opts.stateDir, 'capsule-images');
    this.tools = { skopeo: 'skopeo', umoci: 'umoci', tar: 'tar', ...opts.tools };
  }

  async list(): Promise<OciImage[]> {
    return [...(await this.index()).values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /**
   * Every image record by id, read from disk once and then kept in memory: every start of
   * a capsule looks its image up, and the helper owns the state dir, so only this store's
   * own import, pull and remove change it (each drops the index when it is done).
   */
  private index(): Promise<Map<string, OciImage>> {
    this.indexed ??= this.readIndex().catch((err: unknown) => {
      this.indexed = null;
      throw err;
    });
    return this.indexed;
  }

  private async readIndex(): Promise<Map<string, OciImage>> {
    let entries: string[];
    try {
      entries = await readdir(this.root);
    } catch {
      return new Map();
    }
    const images = new Map<string, OciImage>();
    for (const id of entries) {
      if (id.startsWith('.')) continue;
      const img = await readRecord(IMAGE_RECORD, join(this.root, id, 'image.json')).catch(() => null);
      if (img) images.set(img.image.id, img.image);
    }
    return images;
  }

  /** Called once a change to the records is complete (or failed), so the next read sees it. */
  private reindex(): void {
    this.indexed = null;
  }

  /** An image by id, exact name, `name:latest`, or normalized registry reference. */
  async find(ref: string): Promise<OciImage | null> {
    const index = await this.index();
    const byId = index.get(ref);
    if (byId) return byId;
    const images = [...index.values()];
    const candidates = [ref, `${ref}:latest`];
    try {
      candidates.push(formatImageReference(parseImageReference(ref)));
    } catch {
      // not a registry reference: only local names can match
    }
    for (const c of candidates) {
      const hit = images.find((i) => i.name === c);
      if (hit) return hit;
    }
    return null;
  }

  async get(ref: string): Promise<OciImage> {
    const img = await this.find(ref);
    if (!img) {
      throw new NovaError('not_found', `Image "${ref}" not found: pull it (nova image pull ${ref}) or import it (nova image import FILE --name NAME)`, { image: ref });
    }
    return img;
  }

  /** Where an image's unpacked root filesystem lives (read-only lower layer of capsules). */
  rootfsPath(id: string): string {
    return join(this.root, id, 'bundle', 'rootfs');
  }

  /** The image's rootfs owned by the shifted ids of a user namespace (see shiftedRootfs). */
  shiftedRootfsPath(id: string, m: IdMapping): string {
    return join(this.root, id, `bundle-${m.hostId}-${m.size}`, 'rootfs');
  }

  /** Unpacks the shifted rootfs once (a capsule in a user namespace is created from it). */
  shiftedRootfs(image: OciImage, m: IdMapping): Promise<string> {
    const rootfs = this.shiftedRootfsPath(image.id, m);
    let p = this.shifting.get(rootfs);
    if (!p) {
      p = this.unpackShifted(image, m, rootfs).finally(() => this.shifting.delete(rootfs));
      this.shifting.set(rootfs, p);
    }
    return p;
  }

  private async unpackShifted(image: OciImage, m: IdMapping, rootfs: string): Promise<string> {
    if (await stat(rootfs).then(() => true, () => false)) return rootfs;
    const bundle = dirname(rootfs);
    const tmp = `${bundle}.tmp`;
    await rm(tmp, { recursive: true, force: true });
    try {
      await mkdir(tmp, { mode: 0o700 });
      await this.opts.runner.run({ argv: umociUnpackShiftedArgv(this.tools.umoci, join(this.root, image.id, 'oci'), join(tmp, 'rootfs'), m), timeoutMs: LOCAL_TIMEOUT_MS });
      await rename(tmp, bundle);
    } catch (err) {
      await rm(tmp, { recursive: true, force: true });
      throw new NovaError('internal', `Could not unpack image "${image.name}" for a user namespace (ids from ${m.hostId}): ${err instanceof Error ? err.message : String(err)}`);
    }
    return rootfs;
  }

  /** skopeo inspect, then copy into a fresh OCI layout, then unpack: progress per phase and in bytes. */
  async pull(reference: string, options: PullOptions = {}, requester: Requester | null = null): Promise<OciImage> {
    const ref = parseImageReference(reference);
    const remote = formatImageReference(ref);
    const name = options.name ? importName(options.name) : remote;
    const tlsVerify = options.tlsVerify ?? true;
    if (!tlsVerify && !isLoopbackRegistry(ref.registry)) {
      throw new NovaError('invalid_argument', `TLS verification can only be turned off for a registry on 127.0.0.1 (not ${ref.registry})`);
    }
    const spec = { kind: 'ociImage.pull', resource: { kind: 'ociImage', name }, title: `pull of ${remote}` } as const;
    return this.opts.operations.run(spec, requester, async (op) => {
      op.progress({ phase: 'resolving' });
      const policy = await this.policyFile();
      const inspected = await this.opts.runner
        .run({ argv: argv.skopeoInspectArgv(this.tools.skopeo, policy, remote, tlsVerify), timeoutMs: 120_000, signal: op.signal })
        .catch((err: unknown) => {
          throw registryError(err, remote, ref.registry);
        });
      const { layers, bytesTotal } = manifestSize(inspected.stdout);
      const cancelled = whenCancelled(op, `pull of ${remote} as image ${name} was cancelled; nothing was kept`);
      return this.build(name, 'pull', op, async (layout, scratch) => {
        const meter = new PullMeter(layout, layers === null ? null : layers + 1, bytesTotal, (p) => op.progress(p));
        try {
          await this.opts.runner.run({
            argv: argv.skopeoPullArgv(this.tools.skopeo, policy, remote, layout, tlsVerify),
            timeoutMs: PULL_TIMEOUT_MS,
            signal: op.signal,
            // What skopeo keeps aside while it copies stays in the image's temp folder.
            env: { TMPDIR: scratch },
            onLine: (line) => meter.line(line),
          }).catch((err: unknown) => {
            throw registryError(err, remote, ref.registry);
          });
          await meter.finish();
        } finally {
          meter.stop();
        }
      }).catch(cancelled);
    });
  }

  /**
   * A rootfs tarball (tar, tar.gz), an OCI archive or a Docker archive, under a local name.
   * The file is read through one descriptor only (import-archive.ts): a caller's comes
   * opened and checked by the RPC handler, Nova's own path is opened the same way here.
   */
  async import(file: string | ImportSource, nameIn: string, requester: Requester | null = null): Promise<OciImage> {
    const name = importName(nameIn);
    const path = typeof file === 'string' ? file : file.path;
    if (!path.startsWith('/')) throw new NovaError('invalid_argument', `The file to import must be an absolute path: ${path}`);
    const { handle } = typeof file === 'string' ? await openOwnArchive(path) : file;
    const spec = { kind: 'ociImage.import', resource: { kind: 'ociImage', name }, title: `import of ${basename(path)}` } as const;
    try {
      return await this.opts.operations.run(spec, requester, async (op) => {
        if (await this.find(name).then((i) => i?.name === name)) {
          throw new NovaError('already_exists', `An image named "${name}" already exists: remove it first or choose another name`);
        }
        op.progress({ phase: 'reading the archive' });
        const run = (args: string[], more: { env?: ToolEnv; allowFailure?: boolean } = {}) =>
          this.opts.runner.run({ argv: args, timeoutMs: LOCAL_TIMEOUT_MS, signal: op.signal, stdinFd: handle.fd, ...more });
        const listing = await run(argv.tarListArgv(this.tools.tar, ARCHIVE_STDIN), { allowFailure: true });
        if (listing.exitCode !== 0) throw new NovaError('invalid_argument', `${path} is not a tar archive: ${listing.stderr.trim().split('\n')[0] ?? ''}`);
        const top = new Set(listing.stdout.split('\n').map((l) => l.replace(/^\.\//, '').replace(/\/$/, '')));
        const kind = top.has('oci-layout') ? 'oci-archive' : top.has('manifest.json') && top.has('repositories') ? 'docker-archive' : 'rootfs';
        const policy = await this.policyFile();
        const cancelled = whenCancelled(op, `import of ${basename(path)} as image ${name} was cancelled; nothing was kept`);
        return this.build(name, 'import', op, async (layout, scratch) => {
          if (kind !== 'rootfs') {
            op.progress({ phase: `copying the ${kind === 'oci-archive' ? 'OCI' : 'Docker'} archive` });
            await run(argv.skopeoArchiveArgv(this.tools.skopeo, policy, kind, ARCHIVE_STDIN, layout), { env: { TMPDIR: scratch } });
            return;
          }
          op.progress({ phase: 'adding the root filesystem as a layer' });
          const layer = (await isGzip(handle)) ? await gunzipTo(handle, join(scratch, 'layer.tar'), op.signal) : ARCHIVE_STDIN;
          await run(argv.umociInitArgv(this.tools.umoci, layout));
          await run(argv.umociNewArgv(this.tools.umoci, layout));
          await run(argv.umociAddLayerArgv(this.tools.umoci, layout, layer));
        }).catch(cancelled);
      });
    } finally {
      if (typeof file === 'string') await handle.close();
    }
  }

  async remove(ref: string, requester: Requester | null = null): Promise<OciImage> {
    const img = await this.get(ref);
    return this.opts.operations.exclusive([{ kind: 'ociImage', name: img.name }], 'removal', requester, async () => {
      if (this.opts.isInUse?.(img.id)) {
        throw new NovaError('failed_precondition', `Image "${img.name}" is used by a capsule: delete the capsule first`);
      }
      // Rename first so a crash never leaves a record pointing at half a tree.
      const doomed = join(this.root, `.removing-${img.id}`);
      try {
        await rename(join(this.root, img.id), doomed);
      } finally {
        this.reindex();
      }
      await rm(doomed, { recursive: true, force: true });
      return img;
    });
  }

  /** An OCI layout that arrived with a moved capsule, taken in under `name` and unpacked as a pull's would be. */
  async adoptLayout(name: string, layoutDir: string, requester: Requester | null): Promise<OciImage> {
    const spec = { kind: 'ociImage.import', resource: { kind: 'ociImage', name }, title: `image ${name} arriving with a capsule` } as const;
    return this.opts.operations.run(spec, requester, (op) => this.build(name, 'import', op, (layout) => rename(layoutDir, layout)));
  }

  /** Fills an OCI layout in a temp dir, unpacks it and renames it into place; a failure or a cancel removes it all. */
  private async build(name: string, source: OciImage['source'], op: OperationHandle, fill: (layoutDir: string, scratch: string) => Promise<void>): Promise<OciImage> {
    await mkdir(this.root, { recursive: true, mode: 0o700 });
    const id = createHash('sha256').update(name).update(randomBytes(16)).digest('hex').slice(0, 16);
    const tmp = join(this.root, `.tmp-${id}`);
    await mkdir(tmp, { mode: 0o700 });
    op.onUndo(() => rm(tmp, { recursive: true, force: true }));
    try {
      const layout = join(tmp, 'oci');
      await fill(layout, tmp);
      op.throwIfCancelled();
      op.progress({ phase: 'unpacking' });
      await mkdir(join(tmp, 'bundle'), { mode: 0o700 });
      await this.opts.runner.run({ argv: argv.umociUnpackArgv(this.tools.umoci, layout, join(tmp, 'bundle', 'rootfs')), timeoutMs: LOCAL_TIMEOUT_MS, signal: op.signal });
      await checkRootfsShape(join(tmp, 'bundle', 'rootfs'), name);
      op.throwIfCancelled();
      op.progress({ phase: 'recording the image', cancellable: false });
      const { digest, sizeBytes, config } = await readLayout(layout);
      const previous = await this.find(name);
      const image: OciImage = { id, name, source, digest, sizeBytes, createdAt: new Date().toISOString(), config };
      if (previous && previous.name === name) {
        if (previous.digest === digest) {
          await rm(tmp, { recursive: true, force: true });
          return previous;
        }
        // The name moves to the new image; the old one stays for the capsules built on it.
        const renamed = { ...previous, name: `${previous.name.replace(/:[^:/]+$/, '')}@${previous.digest}` };
        await writeRecord(IMAGE_RECORD, join(this.root, previous.id, 'image.json'), { image: renamed });
      }
      await writeRecord(IMAGE_RECORD, join(tmp, 'image.json'), { image });
      await rm(join(tmp, 'layer.tar'), { force: true });
      await rename(tmp, join(this.root, id));
      return image;
    } finally {
      this.reindex();
    }
  }

  /**
   * skopeo refuses to copy without a signature policy. Nova pulls what the user names,
   * as `docker pull` does without content trust, so its own policy accepts any image.
   */
  private async policyFile(): Promise<string> {
    const path = join(this.root, 'policy.json');
    await mkdir(this.root, { recursive: true, mode: 0o700 });
    await writeFileAtomic(path, JSON.stringify({ default: [{ type: 'insecureAcceptAnything' }] }) + '\n', 0o600);
    return path;
  }
}

const IndexSchema = z.object({
  manifests: z.array(z.object({ digest: z.string(), annotations: z.record(z.string(), z.string()).optional() })),
});
const ManifestSchema = z.object({
  config: z.object({ digest: z.string(), size: z.number() }),
  layers: z.array(z.object({ size: z.number() })),
});

function blobPath(layout: string, digest: string): string {
  const [alg, hex] = digest.split(':');
  if (!alg || !hex || !/^[a-z0-9]+$/.test(alg) || !/^[a-f0-9]+$/.test(hex)) throw new NovaError('internal', `bad digest in OCI layout: ${digest}`);
  return join(layout, 'blobs', alg, hex);
}

/** The tagged manifest's digest, total size and image config, read from an OCI layout. */
export async function readLayout(layout: string): Promise<{ digest: string; sizeBytes: number; config: OciImageConfig }> {
  const index = IndexSchema.parse(JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')));
  const desc = index.manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === argv.LAYOUT_TAG) ?? index.manifests[0];
  if (!desc) throw new NovaError('invalid_argument', 'The OCI layout has no image manifest');
  const manifest = ManifestSchema.parse(JSON.parse(await readFile(blobPath(layout, desc.digest), 'utf8')));
  const config = imageConfigFromBlob(JSON.parse(await readFile(blobPath(layout, manifest.config.digest), 'utf8')));
  const sizeBytes = manifest.config.size + manifest.layers.reduce((s, l) => s + l.size, 0);
  return { digest: desc.digest, sizeBytes, config };
}
