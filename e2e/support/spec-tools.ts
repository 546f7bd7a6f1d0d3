// What several specs need beside the page objects: a NovaApi call over web mode that
// throws on a refusal (for setup and for comparing the page with the data), and a
// screenshot of the page in the light and the dark theme.
import type { Page } from '@playwright/test';
import type { MethodName, ParamsIn } from '../../src-shared/index.js';
import { callOverWeb } from './web-api.js';

export async function callOk<M extends MethodName>(origin: string, token: string, method: M, params: ParamsIn<M>): Promise<unknown> {
  const envelope = await callOverWeb(origin, token, method, params);
  if (!envelope.ok) throw new Error(`${method} failed: ${envelope.error.code} ${envelope.error.message}`);
  return envelope.value;
}

/** `NAME-light.png` and `NAME-dark.png` in `artifacts`; the page is left in the light theme. */
export async function shootBoth(page: Page, name: string, artifacts: URL): Promise<void> {
  await page.screenshot({ path: new URL(`${name}-light.png`, artifacts).pathname });
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.screenshot({ path: new URL(`${name}-dark.png`, artifacts).pathname });
  await page.emulateMedia({ colorScheme: 'light' });
}
