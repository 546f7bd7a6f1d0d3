// Two opposite clones (`a -> b` while `b -> a`) take both names through the lock table's
// all-or-nothing acquisition, so they can never hold one name each and wait for the
// other: against the real helper, both are asked at once for many rounds, and every
// round ends within a bound, each clone refused cleanly (the target exists, or `locked`
// naming the other), with both VMs as they were.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HelperClient } from '../../src-main/core/helper-client.js';
import { isNovaError } from '../../src-shared/errors.js';
import { startConnectedHelper } from './fixtures/connected-helper.js';
import { makeTestDir, removeTestDir, type RunningHelper } from './helper-harness.js';

const PREFIX = 'nv4r';
const A = `${PREFIX}-a`;
const B = `${PREFIX}-b`;
const ROUNDS = process.env.NOVA_SOAK === '1' ? 200 : 25;
const ROUND_BOUND_MS = 20_000;

let dir = '';
let helper: RunningHelper | null = null;
let client: HelperClient;

/** The clone's refusal code, or 'done'; 'hung' past the bound. */
async function settle(call: Promise<unknown>): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<string>((r) => (timer = setTimeout(() => r('hung'), ROUND_BOUND_MS)));
  const outcome = call.then(
    () => 'done',
    (err: unknown) => (isNovaError(err) ? err.code : `thrown: ${String(err)}`),
  );
  try {
    return await Promise.race([outcome, bound]);
  } finally {
    clearTimeout(timer);
  }
}

beforeAll(async () => {
  dir = await makeTestDir(PREFIX);
  ({ helper, client } = await startConnectedHelper(dir));
  await client.call('vm.create', { name: A, diskSize: '16Mi' });
  await client.call('vm.create', { name: B, diskSize: '16Mi' });
}, 60_000);

afterAll(async () => {
  client?.close();
  await helper?.stop();
  if (dir) await removeTestDir(dir);
});

describe('opposite clones', () => {
  it(`never deadlock: ${ROUNDS} rounds of a -> b with b -> a, each refused cleanly within the bound`, async () => {
    const seen = new Map<string, number>();
    for (let round = 0; round < ROUNDS; round++) {
      const outcomes = await Promise.all([settle(client.call('vm.clone', { source: A, target: B })), settle(client.call('vm.clone', { source: B, target: A }))]);
      for (const o of outcomes) {
        expect(['already_exists', 'locked'], `round ${round}: ${outcomes.join(', ')}`).toContain(o);
        seen.set(o, (seen.get(o) ?? 0) + 1);
      }
    }
    console.log(`opposite clones over ${ROUNDS} rounds: ${JSON.stringify(Object.fromEntries(seen))}`);
    const { vms } = await client.call('vm.list', {});
    expect(vms.map((v) => v.definition.name).sort()).toEqual([A, B]);
    expect(await client.call('operation.list', { state: 'running' })).toMatchObject({ operations: [] });
  }, ROUNDS * ROUND_BOUND_MS);
});
