// A spec's `test` with a pair of test hosts: `hosts` started for each test with the spec's
// own layout and stopped after it, and the browser run in the first host's namespace,
// where its web server is.
import { fileURLToPath } from 'node:url';
import { test as base } from './fixtures.js';
import { TwoTestHosts, type TwoHostsLayout } from './two-test-hosts.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));

export type TestHost = NonNullable<TwoTestHosts['first']>;

export function twoHostsTest(layout: TwoHostsLayout) {
  return base.extend<{ hosts: TwoTestHosts }>({
    // eslint-disable-next-line no-empty-pattern
    hosts: async ({}, use) => {
      const hosts = await TwoTestHosts.start(REPO, ARTIFACTS, process.env.NOVA_E2E_RENDERER_DIR, layout);
      try {
        await use(hosts);
      } finally {
        await hosts.stop();
      }
    },
    context: async ({ playwright, hosts, colorScheme, viewport }, use) => {
      await hosts.withBrowser(playwright.chromium, { colorScheme, viewport }, use);
    },
  });
}

/** A guest's state on one host as its own `nova vm ls --json` / `nova capsule ls --json` says, or null when it has none of that name. */
export async function guestStateOn(hosts: TwoTestHosts, host: TestHost, guest: 'vm' | 'capsule', name: string): Promise<string | null> {
  const listed = JSON.parse(await hosts.nova(host, [guest, 'ls', '--json'])) as { vms?: { definition: { name: string }; state: string }[]; capsules?: { name: string; state: string }[] };
  const states = guest === 'vm' ? (listed.vms ?? []).map((v) => ({ name: v.definition.name, state: v.state })) : (listed.capsules ?? []);
  return states.find((g) => g.name === name)?.state ?? null;
}
