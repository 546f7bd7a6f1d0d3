// The image library in <state>/images: disk bases, ISOs, kernels and initrds, each a
// file beside a NAME.json record (type, format, virtual and actual size, sha256). The type
// is told from the file's header (image-type.ts), never from its name alone. Disks are
// imported through qemu-img convert (raw/qcow2/vmdk/vdi/vhdx -> qcow2) as an operation
// with progress; a cancelled import leaves no partial file behind. The caller's file is
// opened once, confined and checked (disk-chain.ts for disks and their backing files),
// and read only through that descriptor: swapping the path afterwards changes nothing,
// and the result is a standalone image that names no other file.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { basename, extname, join } from 'node:path';
import { NovaError } from '../../../src-shared/errors.js';
import { ImageSchema, type Image } from '../../../src-shared/vm.js';
import type { OperationHandle, OperationManager, Requester } from '../operations/operation-manager.js';
import { writeJsonAtomic } from '../state/atomic-write.js';
import { DiskInspector, IMPORT_FORMATS } from './disk-chain.js';
import { detectImageType, type DetectedType, type ReadAt } from './image-type.js';
import { callerOf, type GuardedFile, type PathGuard } from './path-guard.js';
import type { QemuImg } from './qemu-img.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
/** An import under way is IMAGES/.import-NAME.FORMAT until whole (no image name starts with a dot). */
export const IMPORT_TEMPORARY_PREFIX = '.import-';

export class ImageLibrary {
  private readonly inspector: DiskInspector;

  constructor(
    private readonly dir: string,
    private readonly guard: PathGuard,
    private readonly img: QemuImg,
    private readonly operations: OperationManager,
  ) {
    this.inspector = new DiskInspector(guard, img);
  }

  /** The readable records; one that is damaged hides only itself (`damaged` names them). */
  async list(): Promise<Image[]> {
    return (await this.read()).images;
  }

  private async read(): Promise<{ images: Image[]; damaged: string[] }> {
    const files = (await readdir(this.dir).catch(() => [] as string[])).filter((f) => f.endsWith('.json') && !f.startsWith('.'));
    const images: Image[] = [];
    const damaged: string[] = [];
    for (const f of files.sort()) {
      const text = await readFile(join(this.dir, f), 'utf8').catch(() => '');
      let parsed;
      try {
        parsed = ImageSchema.safeParse(withType(JSON.parse(text)));
      } catch {
        parsed = null;
      }
      if (parsed?.success) images.push(parsed.data);
      else damaged.push(f.slice(0, -'.json'.length));
    }
    return { images, damaged };
  }

  /** Disks become qcow2 (with progress); ISOs, kernels and initrds are copied as they are. */
  async import(source: string, name: string, requester: Requester | null): Promise<Image> {
    checkName(name);
    // A file that cannot be opened is refused before an operation starts: the caller hears it
    // as the answer to its request (said beside the path it typed), not as a failed import.
    // The import opens it again by descriptor; this look proves nothing beyond the moment.
    const probe = await this.guard.open(isIsoName(source) ? 'the ISO to import' : 'the image to import', source, { caller: callerOf(requester), purpose: 'import' });
    await probe.handle.close();
    return this.run({ label: source }, name, requester);
  }

  /**
   * Imports a file the caller opened itself and handed over by descriptor: wherever it
   * lies, since the caller's own open proved the right to read it. `file.path` is the
   * name the caller gave it, for messages and its kind; the helper never opens that path.
   */
  async importHanded(file: GuardedFile, name: string, requester: Requester | null): Promise<Image> {
    try {
      checkName(name);
    } catch (err) {
      await file.handle.close();
      throw err;
    }
    return this.run({ label: file.path, file }, name, requester);
  }

  private async run(origin: Origin, name: string, requester: Requester | null): Promise<Image> {
    const spec = { kind: 'image.import', resource: { kind: 'image', name }, title: `import of ${basename(origin.label)}` } as const;
    try {
      return await this.operations.run(spec, requester, async (op) => {
        const { images, damaged } = await this.read();
        if (images.some((i) => i.name === name)) throw new NovaError('already_exists', `image ${name} already exists`);
        if (damaged.includes(name)) {
          throw new NovaError('failed_precondition', `image ${name} is broken: ${join(this.dir, `${name}.json`)} cannot be read. Remove it with \`nova image rm ${name}\`, then import again`);
        }
        return this.importInto(origin, name, requester, op);
      });
    } finally {
      // A handed file is the import's to close, whether or not the operation began.
      await origin.file?.handle.close().catch(() => undefined);
    }
  }

  private async importInto(origin: Origin, name: string, requester: Requester | null, op: OperationHandle): Promise<Image> {
    const { signal } = op;
    const source = origin.label;
    const cancelled = () => new NovaError('cancelled', `import of ${source} as image ${name} was cancelled; nothing was kept`);
    const caller = callerOf(requester);
    // Opened once and classified by its header; a disk read by path is opened again by the
    // chain inspector, which alone may follow its backing files inside their folder.
    const file = origin.file ?? (await this.guard.open(isIsoName(source) ? 'the ISO to import' : 'the image to import', source, { caller, purpose: 'import' }));
    let detected: DetectedType;
    try {
      detected = await detectImageType(readerOf(file), basename(source));
    } catch (err) {
      if (!origin.file) await file.handle.close();
      throw err;
    }
    const copied = detected.type !== 'disk';
    const format: Image['format'] = detected.type === 'iso' ? 'iso' : copied ? 'raw' : 'qcow2';
    const extension = detected.type === 'disk' || detected.type === 'iso' ? format : detected.type;
    const final = join(this.dir, `${name}.${extension}`);
    // Written under a temporary name and renamed once whole: a helper killed mid-way leaves
    // a file the next one's start-up sweep knows for its own, never an unlisted image.
    const target = join(this.dir, `${IMPORT_TEMPORARY_PREFIX}${name}.${extension}`);
    try {
      if (copied) {
        try {
          await copyWithProgress(file, target, op).catch((err: unknown) => {
            throw signal.aborted ? cancelled() : err;
          });
        } finally {
          if (!origin.file) await file.handle.close();
        }
      } else {
        if (!origin.file) await file.handle.close();
        // A handed file's handle passes to the chain, which closes it; run() closing it again is harmless.
        const top = origin.file ? { top: origin.file } : {};
        await this.inspector.with(source, { what: 'the image to import', formats: IMPORT_FORMATS, caller, signal, ...top }, async (chain) => {
          if (signal.aborted) throw cancelled();
          // qemu-img counts in percent of the virtual size: shown as bytes of it, so a large disk's pace reads.
          const total = chain.top.virtualSize;
          op.progress({ phase: `converting ${chain.top.format} to qcow2`, fraction: 0, bytesDone: 0, bytesTotal: total });
          const onProgress = (percent: number) => op.progress({ fraction: percent / 100, bytesDone: Math.round((total * percent) / 100) });
          await this.img.convert(chain.source(), target, { dstFormat: 'qcow2', what: source, onProgress, signal }).catch((err: unknown) => {
            throw signal.aborted ? cancelled() : err;
          });
        });
      }
      const info = copied ? null : await this.img.info(target, { format: 'qcow2' });
      if (info?.['backing-filename'] !== undefined) throw new NovaError('internal', `the import of ${source} kept a reference to ${info['backing-filename']}`);
      const st = await stat(target);
      op.progress({ phase: 'computing the checksum', fraction: 0, bytesDone: 0, bytesTotal: st.size });
      const sum = await sha256(target, signal, (bytes) => op.progress({ fraction: st.size > 0 ? bytes / st.size : null, bytesDone: bytes }));
      if (signal.aborted) throw cancelled();
      await rename(target, final);
      const image: Image = {
        name,
        path: final,
        type: detected.type,
        format,
        ...(detected.detail ? { detail: detected.detail } : {}),
        ...(detected.kernelVersion ? { kernelVersion: detected.kernelVersion } : {}),
        virtualSize: info?.['virtual-size'] ?? st.size,
        actualSize: info?.['actual-size'] ?? st.blocks * 512,
        sha256: sum,
        importedAt: new Date().toISOString(),
      };
      await writeJsonAtomic(join(this.dir, `${name}.json`), image);
      return image;
    } catch (err) {
      await rm(target, { force: true });
      await rm(final, { force: true });
      throw err;
    }
  }

  async remove(name: string, inUse: (path: string) => Promise<string | null>): Promise<void> {
    const { images, damaged } = await this.read();
    const image = images.find((i) => i.name === name);
    if (!image && damaged.includes(name)) return this.removeBroken(name, inUse);
    if (!image) throw new NovaError('not_found', `image ${name} does not exist`);
    const user = await inUse(image.path);
    if (user) throw new NovaError('failed_precondition', `image ${name} is used by VM ${user}`);
    await rm(join(this.dir, `${name}.json`), { force: true });
    await rm(image.path, { force: true });
  }

  /** A record that cannot be read still names the library's own files: NAME.qcow2, .iso, .kernel or .initrd. */
  private async removeBroken(name: string, inUse: (path: string) => Promise<string | null>): Promise<void> {
    const files = LIBRARY_EXTENSIONS.map((f) => join(this.dir, `${name}.${f}`));
    for (const f of files) {
      const user = await inUse(f);
      if (user) throw new NovaError('failed_precondition', `image ${name} is used by VM ${user}`);
    }
    await rm(join(this.dir, `${name}.json`), { force: true });
    for (const f of files) await rm(f, { force: true });
  }
}

/** Where an import reads from: a path the helper opens for the caller, or a file the caller handed over. */
interface Origin {
  label: string;
  file?: GuardedFile;
}

/** The endings of the library's own files, one per type. */
const LIBRARY_EXTENSIONS = ['qcow2', 'iso', 'kernel', 'initrd'];

/** Records from before types were told by header were disks or ISOs, as their format says. */
function withType(record: unknown): unknown {
  if (typeof record !== 'object' || record === null || 'type' in record) return record;
  const format = (record as { format?: unknown }).format;
  return { ...record, type: format === 'iso' ? 'iso' : 'disk' };
}

/** Header reads through the checked descriptor, never the path. */
function readerOf(file: GuardedFile): ReadAt {
  return async (position, length) => {
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await file.handle.read(buffer, 0, length, position);
    return buffer.subarray(0, bytesRead);
  };
}

function checkName(name: string): void {
  if (!NAME.test(name) || name.includes('..')) throw new NovaError('invalid_argument', `image name ${JSON.stringify(name)} is not letters, digits, ".", "_" and "-"`);
}

function isIsoName(name: string): boolean {
  return extname(name).toLowerCase() === '.iso';
}

/** The caller's file, read from the descriptor that was checked, into a new file of the library. */
async function copyWithProgress(file: GuardedFile, target: string, op: OperationHandle): Promise<void> {
  const total = file.stats.size;
  op.progress({ phase: 'copying', fraction: 0, bytesDone: 0, bytesTotal: total });
  let done = 0;
  const counted = file.handle.createReadStream({ start: 0, autoClose: false }).on('data', (chunk) => {
    done += chunk.length;
    op.progress({ fraction: total > 0 ? done / total : null, bytesDone: done });
  });
  await pipeline(counted, createWriteStream(target, { flags: 'wx', mode: 0o600 }), { signal: op.signal });
}

/** Stops early when the import is cancelled (the caller sees signal.aborted and discards it). */
async function sha256(path: string, signal: AbortSignal, onBytes: (bytes: number) => void): Promise<string> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(path)) {
    if (signal.aborted) break;
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
    onBytes(bytes);
  }
  return hash.digest('hex');
}
