// A network's forwards as the helper lists them include the ports its capsules publish
// (`ports = ["8080:80"]` becomes a forward to the capsule's address). Those belong to the
// capsule's table, not the network's: these are the forwards the network itself declares.
import type { Forward, Network } from '../../../src-shared/network.js';

export function networkOwnForwards(network: Network): Forward[] {
  const capsules = new Set(network.attachments.filter((a) => a.kind === 'veth' && a.address !== null).map((a) => a.address?.split('/')[0]));
  return network.forwards.filter((f) => !capsules.has(f.guestAddress));
}
