// Golden tests for every command line of the disk and seed tools, as qemu-argv.test.ts
// keeps for QEMU: each case's exact argv, one argument per line, in golden/tools/NAME.cmd.
// UPDATE_GOLDEN=1 rewrites the files; review their diff by eye.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chainFilename, parseConvertProgress, qemuImgArgv } from './qemu-img-argv.js';
import { genisoimageArgv, opensslPasswdArgv, xorrisoArgv } from './seed-tool-argv.js';

const GOLDEN = join(import.meta.dirname, 'golden', 'tools');
const DISK = '/var/lib/nova/vms/web/disk0.qcow2';
const SEED_FILES = ['user-data', 'meta-data', 'network-config'];

const cases: Record<string, string[]> = {
  'qemu-img-create': qemuImgArgv.create(DISK, 8 * 1024 ** 3),
  'qemu-img-overlay-on-raw-image': qemuImgArgv.overlay(DISK, '/var/lib/nova/images/debian.raw', 'raw', 8 * 1024 ** 3),
  'qemu-img-overlay-comma-in-path': qemuImgArgv.overlay('/srv/a,b/disk0.qcow2', '/srv/a,b/base.qcow2', 'qcow2', 20 * 1024 ** 3),
  'qemu-img-inspect-untrusted': qemuImgArgv.inspect('vmdk'),
  'qemu-img-check-read-only': qemuImgArgv.check(DISK, false),
  'qemu-img-check-repair-leaks': qemuImgArgv.check(DISK, true),
  'qemu-img-info-own-file': qemuImgArgv.info('/var/lib/nova/images/debian.qcow2', { format: 'qcow2' }),
  'qemu-img-info-shared-lock': qemuImgArgv.info(DISK, { format: 'qcow2', shareLock: true }),
  'qemu-img-convert-full-clone': qemuImgArgv.convert({ stdinFd: 21, nodes: [{ filename: '/dev/stdin', format: 'qcow2' }, { filename: '/proc/4242/fd/22', format: 'qcow2' }] }, '/var/lib/nova/vms/web2/disk0.qcow2', 'qcow2'),
  'qemu-img-convert-import-raw': qemuImgArgv.convert({ stdinFd: 21, nodes: [{ filename: '/dev/stdin', format: 'raw' }] }, '/var/lib/nova/images/disk.qcow2', 'qcow2'),
  'qemu-img-convert-import-chain': qemuImgArgv.convert(
    { stdinFd: 21, nodes: [{ filename: '/dev/stdin', format: 'qcow2' }, { filename: '/proc/4242/fd/22', format: 'vmdk' }, { filename: '/proc/4242/fd/23', format: 'raw' }] },
    '/var/lib/nova/images/disk.qcow2',
    'qcow2',
  ),
  'qemu-img-convert-import-vdi': qemuImgArgv.convert({ stdinFd: 21, nodes: [{ filename: '/dev/stdin', format: 'vdi' }] }, '/var/lib/nova/images/disk.qcow2', 'qcow2'),
  'qemu-img-snapshot-create': qemuImgArgv.snapshot('create', DISK, 'pre-upgrade'),
  'qemu-img-snapshot-apply': qemuImgArgv.snapshot('apply', DISK, 'pre-upgrade'),
  'qemu-img-snapshot-delete': qemuImgArgv.snapshot('delete', DISK, 'pre-upgrade'),
  'qemu-img-other-binary': qemuImgArgv.info(DISK, { format: 'raw' }, '/opt/qemu/bin/qemu-img'),
  'seed-genisoimage': genisoimageArgv('/var/lib/nova/vms/web/cidata.iso.tmp', '/var/lib/nova/vms/web/cidata', SEED_FILES),
  'seed-genisoimage-no-network': genisoimageArgv('/var/lib/nova/vms/web/cidata.iso.tmp', '/var/lib/nova/vms/web/cidata', SEED_FILES.slice(0, 2)),
  'seed-xorriso': xorrisoArgv('/var/lib/nova/vms/web/cidata.iso.tmp', '/var/lib/nova/vms/web/cidata', SEED_FILES),
  'openssl-passwd-new-salt': opensslPasswdArgv(),
  'openssl-passwd-kept-salt': opensslPasswdArgv('saltsalt'),
};

describe('tool command lines (golden)', () => {
  for (const [name, argv] of Object.entries(cases)) {
    it(name, () => {
      const file = join(GOLDEN, `${name}.cmd`);
      if (process.env.UPDATE_GOLDEN === '1') writeFileSync(file, argv.join('\n') + '\n');
      expect(argv).toEqual(readFileSync(file, 'utf8').trimEnd().split('\n'));
    });
  }

  it('keeps no golden file without its case', () => {
    const files = readdirSync(GOLDEN).map((f) => f.replace(/\.cmd$/, ''));
    expect(files.sort()).toEqual(Object.keys(cases).sort());
  });
});

describe('tool command lines (invariants)', () => {
  it('reads the password from stdin, so it never shows in a process list', () => {
    expect(opensslPasswdArgv().at(-1)).toBe('-stdin');
    expect(opensslPasswdArgv('saltsalt').at(-1)).toBe('-stdin');
  });

  it('gives the backing format, so a raw image is never probed as something else, and does not open it (-u)', () => {
    const argv = qemuImgArgv.overlay(DISK, '/i/base.raw', 'raw', 1024);
    expect(argv[argv.indexOf('-F') + 1]).toBe('raw');
    expect(argv).toContain('-u');
  });

  it('names a format in every call that reads a disk: qemu-img never probes', () => {
    const source = { stdinFd: 0, nodes: [{ filename: '/dev/stdin', format: 'raw' as const }] };
    for (const argv of [qemuImgArgv.inspect('raw'), qemuImgArgv.info(DISK, { format: 'qcow2' }), qemuImgArgv.convert(source, '/b', 'qcow2'), qemuImgArgv.snapshot('create', DISK, 't')]) {
      expect(argv.includes('-f') || argv.some((a) => a.startsWith('json:{"driver":'))).toBe(true);
    }
  });

  it('reads an untrusted header under a resource limit, from stdin', () => {
    const argv = qemuImgArgv.inspect('qcow2');
    expect(argv.slice(0, 4)).toEqual(['prlimit', '--as=1073741824', '--cpu=30', '--']);
    expect(argv.at(-1)).toBe('/dev/stdin');
  });

  it('writes every chain out to its end, so no header is followed', () => {
    const json = chainFilename([
      { filename: '/dev/stdin', format: 'qcow2' },
      { filename: '/proc/1/fd/9', format: 'qcow2' },
    ]);
    expect(JSON.parse(json.slice('json:'.length))).toEqual({
      driver: 'qcow2',
      file: { driver: 'file', filename: '/dev/stdin' },
      backing: { driver: 'qcow2', file: { driver: 'file', filename: '/proc/1/fd/9' }, backing: null },
    });
    expect(() => chainFilename([{ filename: '/a', format: 'raw' }, { filename: '/b', format: 'raw' }])).toThrow(/no backing file/);
  });

  it('asks for progress on every full copy', () => {
    expect(qemuImgArgv.convert({ stdinFd: 0, nodes: [{ filename: '/dev/stdin', format: 'raw' }] }, '/b', 'qcow2')).toContain('-p');
  });
});

describe('parseConvertProgress', () => {
  it.each([
    ['    (42.00/100%)', 42],
    ['    (0.00/100%)', 0],
    ['    (100.00/100%)', 100],
    ['qemu-img: error', null],
  ])('%j -> %j', (line, pct) => {
    expect(parseConvertProgress(line)).toBe(pct);
  });
});
