// Library names in a NovaFile, from real NovaFiles on disk planned against a library as
// image.list answers it: names become their images' paths (disk, ISO, kernel, initrd, CDs,
// extra disks), a file beside the NovaFile keeps its old meaning, a wrong type and an
// unknown name are errors at the key's line and column with the closest names, and plan
// prints what each name stood for.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NovaError } from '../../../src-shared/errors.js';
import type { ImageListEntry, ImageType } from '../../../src-shared/vm.js';
import { parseNovaFile } from '../novafile/novafile-parser.js';
import { formatPlan } from './plan-format.js';
import { loadDesiredState, planNovaFile } from './project-planner.js';
import type { StateReader } from './actual-state.js';

let dir: string;
let file: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'nv6i-libnames-'));
  file = path.join(dir, 'NovaFile.toml');
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function image(name: string, type: ImageType): ImageListEntry {
  const format = type === 'iso' ? 'iso' : type === 'disk' ? 'qcow2' : 'raw';
  return { name, type, format, path: `/var/lib/nova/images/${name}.${type === 'disk' ? 'qcow2' : type}`, virtualSize: 1, actualSize: 1, sha256: 'a'.repeat(64), importedAt: 'T', usedBy: [] };
}

const LIBRARY = [
  image('debian-12-genericcloud', 'disk'),
  image('debian-12-nocloud', 'disk'),
  image('ubuntu-24.04', 'disk'),
  image('debian-12.8-netinst', 'iso'),
  image('virtio-win', 'iso'),
  image('vmlinux-6.1', 'kernel'),
  image('initrd-busybox', 'initrd'),
];

/** The helper as plan reads it: an empty host, and the library above. */
const helper: StateReader = {
  call: ((method: string) => {
    const replies: Record<string, unknown> = {
      'network.list': { networks: [], broken: [] },
      'vm.list': { vms: [], broken: [] },
      'capsule.list': { capsules: [], broken: [] },
      'image.list': LIBRARY,
    };
    return method in replies ? Promise.resolve(replies[method]) : Promise.reject(new Error(`unexpected ${method}`));
  }) as StateReader['call'],
};

/** The error plan gives for this NovaFile (none is a failure). */
async function refusal(text: string): Promise<NovaError> {
  await writeFile(file, text);
  try {
    await planNovaFile(file, helper);
  } catch (err) {
    if (err instanceof NovaError) return err;
    throw err;
  }
  throw new Error('the plan was made');
}

describe('library names in a NovaFile', () => {
  it('stand for their images in every file key, and plan says which file each became', async () => {
    const text = [
      'project = "nv6i"',
      '[vm.web]',
      'image = "debian-12-genericcloud"',
      'iso = "debian-12.8-netinst"',
      'driver_iso = "virtio-win"',
      'cdroms = ["debian-12.8-netinst"]',
      '[[vm.web.disk]]',
      'path = "ubuntu-24.04"',
      '[vm.tiny]',
      'kernel = "vmlinux-6.1"',
      'initrd = "initrd-busybox"',
      'cmdline = "console=ttyS0"',
      '',
    ].join('\n');
    await writeFile(file, text);
    const { plan, desired } = await planNovaFile(file, helper);
    const web = desired.vms.find((v) => v.config.name === 'web')!.input;
    expect(web).toMatchObject({
      image: '/var/lib/nova/images/debian-12-genericcloud.qcow2',
      iso: '/var/lib/nova/images/debian-12.8-netinst.iso',
      driverIso: '/var/lib/nova/images/virtio-win.iso',
      cdroms: ['/var/lib/nova/images/debian-12.8-netinst.iso'],
      disks: [{ path: '/var/lib/nova/images/ubuntu-24.04.qcow2' }],
    });
    expect(desired.vms.find((v) => v.config.name === 'tiny')!.input).toMatchObject({ kernel: '/var/lib/nova/images/vmlinux-6.1.kernel', initrd: '/var/lib/nova/images/initrd-busybox.initrd' });
    expect(plan.blocked).toEqual([]);
    const printed = formatPlan(plan, false);
    expect(printed).toContain('images from the library:');
    expect(printed).toContain('vm.web.image = "debian-12-genericcloud": /var/lib/nova/images/debian-12-genericcloud.qcow2');
    expect(printed).toContain('vm.web.cdroms[0] = "debian-12.8-netinst": /var/lib/nova/images/debian-12.8-netinst.iso');
    expect(printed).toContain('vm.tiny.kernel = "vmlinux-6.1": /var/lib/nova/images/vmlinux-6.1.kernel');
  });

  it('leave a bare name that is a file beside the NovaFile meaning that file, and paths as paths', async () => {
    await writeFile(path.join(dir, 'debian-12-genericcloud'), 'a disk beside the file');
    await writeFile(file, 'project = "nv6i"\n[vm.web]\nimage = "debian-12-genericcloud"\niso = "./isos/x.iso"\n');
    const { plan, desired } = await planNovaFile(file, helper);
    expect(desired.vms[0]!.input).toMatchObject({ image: path.join(dir, 'debian-12-genericcloud'), iso: path.join(dir, 'isos/x.iso') });
    expect(plan.libraryImages).toBeUndefined();
    // The missing ./isos/x.iso is a path, so it stays what it was: a blocker, not a name.
    expect(plan.blocked.map((b) => b.reason)).toEqual([`the ISO image ${path.join(dir, 'isos/x.iso')} does not exist`]);
  });

  it('refuse an unknown name at its line and column, naming the closest library images of that type', async () => {
    const err = await refusal('project = "nv6i"\n\n[vm.web]\ncpu = 1\nimage = "debian-12-genricloud"\n');
    expect(err.code).toBe('invalid_argument');
    expect(err.message).toContain(`${file}:5:1: vm.web.image = "debian-12-genricloud" is neither a file beside the NovaFile nor an image in the library`);
    expect(err.message).toContain('closest library disks: debian-12-genericcloud, debian-12-nocloud');
    expect(err.message).not.toContain('netinst');
  });

  it('refuse a library image of the wrong type', async () => {
    const err = await refusal('project = "nv6i"\n[vm.web]\niso = "debian-12-genericcloud"\n');
    expect(err.message).toBe(`${file}:3:1: vm.web.iso = "debian-12-genericcloud" is a disk in the library, but iso takes an ISO`);
  });

  it('say so when the library has nothing of the type asked for', async () => {
    const empty: StateReader = { call: ((method: string) => (method === 'image.list' ? Promise.resolve([]) : helper.call(method as never, {} as never))) as StateReader['call'] };
    await writeFile(file, 'project = "nv6i"\n[vm.web]\nkernel = "vmlinuz"\n');
    await expect(planNovaFile(file, empty)).rejects.toThrow('the library has no kernels yet: import one with nova image import FILE NAME');
  });

  it('are not looked up where only names matter (down, ps): the values stay paths', async () => {
    await writeFile(file, 'project = "nv6i"\n[vm.web]\nimage = "debian-12-genericcloud"\n');
    const { desired, libraryImages } = await loadDesiredState(file);
    expect(desired.vms[0]!.input.image).toBe(path.join(dir, 'debian-12-genericcloud'));
    expect(libraryImages).toEqual([]);
  });
});

describe('capsule images by their library name', () => {
  it('take a pulled or imported OCI image as NAME:TAG', () => {
    const { config, diagnostics } = parseNovaFile('project = "nv6i"\n[capsule.web]\ncapsule = "nv6i-tiny:latest"\n', 'NovaFile.toml', '/p');
    expect(diagnostics).toEqual([]);
    expect(config?.capsules[0]?.image).toMatchObject({ repository: expect.stringContaining('nv6i-tiny') as unknown, tag: 'latest' });
  });
});
