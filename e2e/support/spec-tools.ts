// What several specs need beside the page objects: a NovaApi call over web mode that
// throws on a refusal (for setup and for comparing the page with the data), and a
// screenshot of the page in the light and the dark theme, and a busybox image to run.
import { mkdir } from 'node:fs/promises';
import type { Page } from '@playwright/test';
import { makeBusyboxRootfs } from '../../helper/system-tests/fixtures/capsule-harness.js';
import { OciImageSchema, type MethodName, type ParamsIn } from '../../src-shared/index.js';
import { callOverWeb } from './web-api.js';

export async function callOk<M extends MethodName>(origin: string, token: string, method: M, params: ParamsIn<M>): Promise<unknown> {
  const envelope = await callOverWeb(origin, token, method, params);
  if (!envelope.ok) throw new Error(`${method} failed: ${envelope.error.code} ${envelope.error.message}`);
  return envelope.value;
}

/** A busybox image for capsules, from a rootfs tarball built in `dir` (under the helper's allowed root); its stored name. */
export async function importBusyboxImage(nova: { origin: string; token: string }, dir: string, name: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  return OciImageSchema.parse(await callOk(nova.origin, nova.token, 'ociImage.import', { path: await makeBusyboxRootfs(dir), name })).name;
}

/** `NAME-light.png` and `NAME-dark.png` in `artifacts`; the page is left in the light theme. */
export async function shootBoth(page: Page, name: string, artifacts: URL): Promise<void> {
  await page.screenshot({ path: new URL(`${name}-light.png`, artifacts).pathname });
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.screenshot({ path: new URL(`${name}-dark.png`, artifacts).pathname });
  await page.emulateMedia({ colorScheme: 'light' });
}

/** What has focus now, said as its tag and accessible name would be read. */
export function focusedElement(page: Page): Promise<string> {
  // A string: these specs compile without the DOM's types, and this runs in the page.
  return page.evaluate(`(() => {
    const el = document.activeElement;
    return el ? el.tagName.toLowerCase() + ':' + (el.getAttribute('aria-label') ?? el.textContent?.trim() ?? '') : 'none';
  })()`);
}
