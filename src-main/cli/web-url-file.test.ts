import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { readWebUrl, writeWebUrl } from './web-url-file.js';

describe('web url file', () => {
  const base = mkdtempSync(join(tmpdir(), 'nv16u-weburl-'));
  afterEach(() => rmSync(join(base, 'urls'), { recursive: true, force: true }));
  afterAll(() => rmSync(base, { recursive: true, force: true }));

  it('gives back the address of the nova web on a port, privately, until it ends', () => {
    const dir = join(base, 'urls');
    const remove = writeWebUrl(7420, 'http://127.0.0.1:7420/?token=abc', dir);
    expect(readWebUrl(7420, dir)).toBe('http://127.0.0.1:7420/?token=abc');
    expect(readWebUrl(7421, dir)).toBeNull();
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, 'web-7420.url')).mode & 0o777).toBe(0o600);
    remove();
    expect(readWebUrl(7420, dir)).toBeNull();
  });

  it('refuses a folder others can write', () => {
    const dir = join(base, 'urls');
    mkdirSync(dir);
    chmodSync(dir, 0o777);
    expect(() => readWebUrl(7420, dir)).toThrow(/not a private folder/);
  });
});
