import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HelperClient } from '../../core/helper-client.js';
import { runCli } from '../cli-program.js';
import { capsuleSpecFromOptions, parseMemoryLimit, parseSince } from './capsule-command.js';
import { detectImportKind } from './image-command.js';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nv5-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('nova capsule argument parsing', () => {
  it('reads memory limits as every size in Nova: binary units, a bare number in MiB', () => {
    expect(parseMemoryLimit('256Mi')).toEqual({ ok: true, value: 256 * 1024 * 1024 });
    expect(parseMemoryLimit('1G')).toEqual({ ok: true, value: 1024 ** 3 });
    expect(parseMemoryLimit('1.5GiB')).toEqual({ ok: true, value: 1.5 * 1024 ** 3 });
    expect(parseMemoryLimit('512')).toEqual({ ok: true, value: 512 * 1024 * 1024 });
    expect(parseMemoryLimit('1Mi')).toMatchObject({ ok: false, message: expect.stringMatching(/at least 6 MiB/) as unknown });
    expect(parseMemoryLimit('lots')).toMatchObject({ ok: false, message: expect.stringMatching(/not a memory limit/) as unknown });
  });

  it('sends --memory 512 as 512 MiB, and refuses bad flags before calling the helper', async () => {
    const calls: Array<[string, unknown]> = [];
    let stderr = '';
    const run = (argv: string[]) =>
      runCli(argv, { stdout: () => undefined, stderr: (t) => (stderr += t) }, {
        connectHelper: async () =>
          ({ call: async (m: string, p: unknown) => (calls.push([m, p]), { name: 'web', state: 'created' }), onEvent: () => () => undefined, close: () => undefined }) as unknown as HelperClient,
      });
    expect(await run(['capsule', 'create', 'web', '--image', 'alpine:3.20', '--memory', '512', '-p', '8080:80', '--restart', 'on-failure:3', '-v', '/srv/a:/a:ro'])).toBe(0);
    expect(calls).toEqual([
      [
        'capsule.create',
        {
          name: 'web',
          image: 'alpine:3.20',
          memoryBytes: 512 * 1024 * 1024,
          ports: [{ hostPort: 8080, guestPort: 80, protocol: 'tcp' }],
          restart: { mode: 'on-failure', maxRetries: 3 },
          volumes: [{ source: '/srv/a', target: '/a', readOnly: true }],
        },
      ],
    ]);
    for (const bad of [['--memory', '1Mi'], ['-p', '8080'], ['--restart', 'sometimes'], ['-v', '/a:/'], ['--user', 'www-data']]) {
      expect(await run(['capsule', 'create', 'web', '--image', 'alpine', ...bad])).toBe(2);
    }
    expect(await run(['capsule', 'create', 'Web', '--image', 'alpine'])).toBe(2);
    expect(calls).toHaveLength(1);
    expect(stderr).toContain('capsule name "Web" has uppercase letters');
  });

  it('reads --since as a time or a duration back from now', () => {
    const now = Date.parse('2026-01-02T03:00:00Z');
    expect(parseSince('10m', now)).toBe('2026-01-02T02:50:00.000Z');
    expect(parseSince('2026-01-01T00:00:00Z', now)).toBe('2026-01-01T00:00:00.000Z');
    expect(() => parseSince('yesterday', now)).toThrow(/neither a time/);
  });

  it('builds a spec with only what was given', () => {
    expect(capsuleSpecFromOptions('web', ['sh', '-c', 'true'], { image: 'busybox', start: false, memory: 64 * 1024 * 1024, env: { A: '1' } })).toEqual({
      name: 'web',
      image: 'busybox',
      command: ['sh', '-c', 'true'],
      env: { A: '1' },
      memoryBytes: 64 * 1024 * 1024,
    });
  });
});

describe('nova image import: which kind of image a file is', () => {
  it('takes tarballs for OCI and disks, ISOs and kernels for VMs', async () => {
    const tar = Buffer.alloc(1024);
    tar.write('ustar', 257, 'latin1');
    await writeFile(join(dir, 'rootfs.bin'), tar);
    await writeFile(join(dir, 'rootfs.tgz'), Buffer.from([0x1f, 0x8b, 8, 0]));
    await writeFile(join(dir, 'disk.img'), Buffer.concat([Buffer.from('QFI\xfb', 'latin1'), Buffer.alloc(100)]));
    const iso = Buffer.alloc(0x8010);
    iso.write('CD001', 0x8001, 'latin1');
    await writeFile(join(dir, 'install.iso'), iso);
    const kernel = Buffer.alloc(0x300);
    kernel.write('HdrS', 0x202, 'latin1');
    await writeFile(join(dir, 'vmlinuz'), kernel);
    await writeFile(join(dir, 'raw.img'), Buffer.alloc(4096));
    expect((await detectImportKind(join(dir, 'rootfs.bin'))).kind).toBe('oci');
    expect((await detectImportKind(join(dir, 'rootfs.tgz'))).kind).toBe('oci');
    expect(await detectImportKind(join(dir, 'disk.img'))).toEqual({ kind: 'vm', why: 'a qcow2 disk' });
    expect((await detectImportKind(join(dir, 'install.iso'))).why).toMatch(/ISO/);
    expect((await detectImportKind(join(dir, 'vmlinuz'))).why).toMatch(/kernel/);
    expect((await detectImportKind(join(dir, 'raw.img'))).kind).toBe('vm');
    await expect(detectImportKind(join(dir, 'missing'))).rejects.toMatchObject({ code: 'not_found' });
  });
});
