import { describe, expect, it } from 'vitest';
import { novaApi } from '../../../src-shared/api/nova-api.js';
import { checkImportForm, checkOciImportForm, checkPullForm, suggestImageName, suggestOciImportName, suggestPullName } from './image-import-form.js';

describe('import disk form', () => {
  it('suggests a valid name from the file name', () => {
    expect(suggestImageName('/srv/images/Debian 12.qcow2')).toBe('Debian-12');
    expect(suggestImageName('/tmp/.hidden.raw')).toBe('hidden');
    expect(suggestImageName('/isos/install.iso')).toBe('install');
    expect(suggestImageName('')).toBe('');
  });

  it('wants an absolute path and a name the contract accepts', () => {
    expect(checkImportForm({ path: '/srv/base.raw', name: 'base' })).toEqual({});
    expect(checkImportForm({ path: 'base.raw', name: 'bad/name' })).toEqual({
      path: 'give an absolute path, starting with /',
      name: 'letters, digits, ".", "_" and "-", starting with a letter or digit (at most 128)',
    });
    expect(checkImportForm({ path: ' ', name: '' })).toEqual({ path: 'give the path of the disk file on the host', name: 'give the image a name' });
  });
});

describe('the pull form', () => {
  it('suggests the repository name without registry, tag or digest', () => {
    expect(suggestPullName('127.0.0.1:5000/tools/busybox:1.36')).toBe('busybox');
    expect(suggestPullName('alpine@sha256:abc')).toBe('alpine');
  });

  it('needs a reference without spaces; the name may be left empty but not be invalid', () => {
    expect(checkPullForm({ path: '', name: '' })).toEqual({ path: expect.stringMatching(/reference/) });
    expect(checkPullForm({ path: 'alpine 3', name: '' }).path).toMatch(/no spaces/);
    expect(checkPullForm({ path: 'alpine:3.20', name: '' })).toEqual({});
    expect(checkPullForm({ path: 'alpine:3.20', name: 'Bad/Name' }).name).toBeTruthy();
  });
});

describe('the container image import form', () => {
  it('suggests a lower-case image name from the archive', () => {
    expect(suggestOciImportName('/srv/nv16i/Busybox Rootfs.tar.gz')).toBe('busybox-rootfs');
    expect(suggestOciImportName('/srv/nv16i/app.oci.tar')).toBe('app.oci');
  });

  it('wants an absolute path and a name ociImage.import accepts', () => {
    expect(checkOciImportForm({ path: '', name: '' })).toEqual({ path: expect.any(String), name: expect.any(String) });
    expect(checkOciImportForm({ path: 'img.tar', name: 'tools' }).path).toContain('absolute');
    expect(checkOciImportForm({ path: '/srv/nv16i/img.tar', name: 'tools:1.0' })).toEqual({});
    const bad = checkOciImportForm({ path: '/srv/nv16i/img.tar', name: 'Tools With Spaces' });
    expect(bad.name).toBeTruthy();
    expect(novaApi['ociImage.import'].params.shape.name.safeParse('Tools With Spaces').success).toBe(false);
  });
});
