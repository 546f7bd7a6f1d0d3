// The nova://app/ handler: serves the built renderer with our CSP, nothing outside it.
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import * as fake from './testing/fake-electron.js';
import { registerAppScheme, serveRenderer } from './app-protocol.js';
import { RENDERER_CSP } from './security.js';

vi.mock('electron', () => import('./testing/fake-electron.js'));

let dir: string;
let root: string;

beforeEach(async () => {
  fake.resetFakeElectron();
  dir = await mkdtemp(join(tmpdir(), 'nv13e-renderer-'));
  root = join(dir, 'renderer');
  await mkdir(join(root, 'assets'), { recursive: true });
  await writeFile(join(root, 'index.html'), '<!doctype html><title>Nova</title>');
  await writeFile(join(root, 'assets', 'app.js'), 'console.log(1)');
  await writeFile(join(dir, 'secret.txt'), 'not for the page');
  await symlink(join(dir, 'secret.txt'), join(root, 'assets', 'leak.js'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function get(url: string): Promise<Response> {
  serveRenderer(root);
  return fake.protocol.handlers.get('nova')!(new Request(url));
}

describe('app protocol', () => {
  it('registers nova as a standard, secure scheme', () => {
    registerAppScheme();
    expect(fake.protocol.privileged).toEqual([{ scheme: 'nova', privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
  });

  it('serves the renderer with its type, the CSP and nosniff', async () => {
    const page = await get('nova://app/');
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>Nova</title>');
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toBe(RENDERER_CSP);
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect((await get('nova://app/assets/app.js')).headers.get('content-type')).toBe('text/javascript; charset=utf-8');
  });

  it('serves nothing outside the renderer: escapes, links out, other hosts, missing files', async () => {
    for (const url of [
      'nova://app/..%2F..%2Fsecret.txt',
      'nova://app/%2e%2e/secret.txt',
      'nova://app/assets/leak.js',
      'nova://other/index.html',
      'nova://app/missing.html',
    ]) {
      const res = await get(url);
      expect(res.status, url).toBe(404);
      expect(await res.text(), url).not.toContain('not for the page');
    }
  });
});
