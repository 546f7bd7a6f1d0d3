// The helper calls that carry out one planned change to a network: create; update in
// place (forwards added and removed, peers replaced, a damaged network put back);
// replace (delete, create); delete. Forwards are compared by host port and protocol,
// as the helper keys them.
import type { Forward, Network } from '../../../src-shared/network.js';
import type { ResourceChange } from '../../../src-shared/project.js';
import { NovaError } from '../../../src-shared/errors.js';
import type { DesiredNetwork } from './desired-state.js';
import type { StepContext } from './guest-steps.js';

const forwardKey = (f: Forward) => `${f.hostPort}/${f.protocol}`;
const sameForward = (a: Forward, b: Forward) => forwardKey(a) === forwardKey(b) && a.guestAddress === b.guestAddress && a.guestPort === b.guestPort;

export async function applyNetworkChange(change: ResourceChange, d: DesiredNetwork | null, have: Network | null, ctx: StepContext): Promise<void> {
  const { h, say } = ctx;
  const name = change.name;
  const subject = `network ${name}`;
  const create = async () => {
    if (!d) throw new Error(`network ${name}: nothing to create from`);
    say('creating');
    await h.operation('network.create', d.input, subject);
  };
  switch (change.class) {
    case 'create':
      return create();
    case 'delete':
      say('deleting');
      await h.operation('network.delete', { name }, subject);
      return;
    case 'replace':
      say('deleting to recreate');
      await h.operation('network.delete', { name }, subject);
      ctx.throwIfCancelled();
      return create();
    case 'restart':
    case 'update':
      if (!have || !d) return create();
      if (change.fields.some((f) => f.field === 'status')) await repair(have, ctx);
      if (change.fields.some((f) => f.field === 'peers')) {
        say('replacing its peers');
        await h.call('network.setPeers', { name, peers: d.spec.peers });
      }
      if (change.fields.some((f) => f.field === 'forwards')) await syncForwards(have, d, ctx);
      return;
  }
}

/** A network whose bridge, rules or dnsmasq went missing: the helper puts back its kernel side, guests and all. */
async function repair(have: Network, ctx: StepContext): Promise<void> {
  const name = have.name;
  ctx.say(`repairing (${have.status.reasons.join('; ')})`);
  const report = await ctx.h.call('network.repair', { name });
  const problems = report.problems.filter((p) => p.network === name).map((p) => p.message);
  if (problems.length > 0) throw new NovaError('failed_precondition', `network ${name} could not be repaired: ${problems.join('; ')}`);
}

async function syncForwards(have: Network, d: DesiredNetwork, ctx: StepContext): Promise<void> {
  const name = have.name;
  for (const f of have.forwards) {
    if (d.spec.forwards.some((w) => sameForward(w, f))) continue;
    ctx.say(`removing forward ${forwardKey(f)}`);
    await ctx.h.call('network.forwardRemove', { network: name, hostPort: f.hostPort, protocol: f.protocol });
  }
  for (const f of d.spec.forwards) {
    if (have.forwards.some((w) => sameForward(w, f))) continue;
    ctx.say(`adding forward ${forwardKey(f)} -> ${f.guestAddress}:${f.guestPort}`);
    await ctx.h.call('network.forwardAdd', { network: name, forward: f });
  }
}
