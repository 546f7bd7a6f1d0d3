// The image library in <state>/images: disk bases, ISOs, kernels and initrds, each a
// file beside a NAME.json record (format, virtual and actual size, sha256). Disks are
// imported through qemu-img convert (raw/qcow2/vmdk/vdi/vhdx -> qcow2) with progress.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, readdir, readFile, rm, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { NovaError } from '../../../src-shared/errors.js';
import { ImageSchema, type Image } from '../../../src-shared/vm.js';
import { writeJsonAtomic } from '../state/atomic-write.js';
import type { PathGuard } from './path-guard.js';
import type { QemuImg } from './qemu-img.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const DISK_FORMATS = new Set(['raw', 'qcow2', 'vmdk', 'vdi', 'vhdx']);

export class ImageLibrary {
  constructor(
    private readonly dir: string,
    private readonly guard: PathGuard,
    private readonly img: QemuImg,
  ) {}

  async list(): Promise<Image[]> {
    const files = (await readdir(this.dir).catch(() => [] as string[])).filter((f) => f.endsWith('.json'));
    const out: Image[] = [];
    for (const f of files.sort()) {
      const parsed = ImageSchema.safeParse(JSON.parse(await readFile(join(this.dir, f), 'utf8')));
      if (parsed.success) out.push(parsed.data);
    }
    return out;
  }

  /** Disks become qcow2 (with progress); ISOs, kernels and initrds are copied as they are. */
  async import(source: string, name: string, opts: { onProgress?: (percent: number) => void; signal?: AbortSignal } = {}): Promise<Image> {
    if (!NAME.test(name) || name.includes('..')) throw new NovaError('invalid_argument', `image name ${JSON.stringify(name)} is not letters, digits, ".", "_" and "-"`);
    if ((await this.list()).some((i) => i.name === name)) throw new NovaError('already_exists', `image ${name} already exists`);
    const real = await this.guard.existingFile('image source', source);
    const ext = extname(real).toLowerCase();
    let target: string;
    let format: Image['format'];
    if (ext === '.iso') {
      target = join(this.dir, `${name}.iso`);
      format = 'iso';
      await copyFile(real, target);
    } else {
      const info = await this.img.info(real);
      if (!DISK_FORMATS.has(info.format)) throw new NovaError('unsupported', `image ${source} is ${info.format}; Nova imports raw, qcow2, vmdk, vdi and vhdx`);
      target = join(this.dir, `${name}.qcow2`);
      format = 'qcow2';
      try {
        await this.img.convert(real, target, { srcFormat: info.format, dstFormat: 'qcow2', onProgress: opts.onProgress, signal: opts.signal });
      } catch (err) {
        await rm(target, { force: true });
        throw err;
      }
    }
    const info = format === 'iso' ? null : await this.img.info(target);
    const st = await stat(target);
    const image: Image = {
      name,
      path: target,
      format,
      virtualSize: info?.['virtual-size'] ?? st.size,
      actualSize: info?.['actual-size'] ?? st.blocks * 512,
      sha256: await sha256(target),
      importedAt: new Date().toISOString(),
    };
    await writeJsonAtomic(join(this.dir, `${name}.json`), image);
    return image;
  }

  async remove(name: string, inUse: (path: string) => Promise<string | null>): Promise<void> {
    const image = (await this.list()).find((i) => i.name === name);
    if (!image) throw new NovaError('not_found', `image ${name} does not exist`);
    const user = await inUse(image.path);
    if (user) throw new NovaError('failed_precondition', `image ${name} is used by VM ${user}`);
    await rm(join(this.dir, `${name}.json`), { force: true });
    await rm(image.path, { force: true });
  }
}

async function sha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
