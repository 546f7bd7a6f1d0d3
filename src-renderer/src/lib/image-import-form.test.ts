import { describe, expect, it } from 'vitest';
import { checkImportForm, suggestImageName } from './image-import-form.js';

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
