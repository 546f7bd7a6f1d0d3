import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { openInBrowser, redirectPage } from './browser-open.js';

const base = mkdtempSync(join(tmpdir(), 'nv3d-open-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

describe('opening the web UI in the browser', () => {
  const url = 'http://127.0.0.1:7420/?token=s3cr3t-token';

  it('gives the opener a private redirect file, never the token itself', async () => {
    const launched: string[][] = [];
    const page = await openInBrowser(url, { baseDir: base, launch: async (argv) => (launched.push(argv), true) });
    expect(launched).toEqual([['xdg-open', page.opened]]);
    expect(launched.flat().join(' ')).not.toContain('s3cr3t');
    const file = fileURLToPath(page.opened);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(dirname(file)).mode & 0o777).toBe(0o700);
    expect(readFileSync(file, 'utf8')).toContain(`content="0;url=${url}"`);
    page.dispose();
    expect(() => statSync(dirname(file))).toThrow();
  });

  it('says so when no opener could be started', async () => {
    const page = await openInBrowser(url, { baseDir: base, launch: async () => false });
    expect(page.launched).toBe(false);
    page.dispose();
  });

  it('escapes the URL into the page', () => {
    expect(redirectPage('http://x/?a="<b>&c')).toContain('url=http://x/?a=&quot;&lt;b&gt;&amp;c"');
  });
});
