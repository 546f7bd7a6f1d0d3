// Checks that span tables of a NovaFile: network references, a name under both
// [container] and [capsule], overlapping subnets, reused VNIs and host ports. They
// read the raw TOML (not zod's output) so they still run when other keys are wrong,
// and skip any value the schema will already report as malformed.
import { closestMatch } from './did-you-mean.js';
import type { KeyPath, KeyPositions } from './novafile-positions.js';
import { cidrsOverlap, type Cidr } from '../../../src-shared/ip-cidr.js';
import { isValidName, parseForward, parsePortMapping, parseSubnet } from '../../../src-shared/vocabulary/index.js';

/** A problem before it has a position: the parser places it at the key, the value, or (missing) the parent table. */
export interface NovaFileProblem {
  path: KeyPath;
  message: string;
  at: 'key' | 'value' | 'missing';
  /** Errors unless said otherwise. */
  severity?: 'warning';
}

type Table = Record<string, unknown>;

export function isTable(value: unknown): value is Table {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function tablesOf(value: unknown): [string, Table][] {
  return isTable(value) ? Object.entries(value).filter((e): e is [string, Table] => isTable(e[1])) : [];
}

const CAPSULE_GROUPS = ['container', 'capsule'] as const;

export function checkReferences(raw: Table, positions: KeyPositions): NovaFileProblem[] {
  return [
    ...undefinedNetworks(raw),
    ...capsulesDefinedTwice(raw, positions),
    ...overlappingSubnets(raw, positions),
    ...reusedVnis(raw),
    ...reusedHostPorts(raw),
  ];
}

function undefinedNetworks(raw: Table): NovaFileProblem[] {
  const declared = isTable(raw.network) ? Object.keys(raw.network) : [];
  const problems: NovaFileProblem[] = [];
  for (const group of ['vm', ...CAPSULE_GROUPS]) {
    for (const [name, body] of tablesOf(raw[group])) {
      // An entry is a name, or a table whose network key names it.
      const listed = Array.isArray(body.networks)
        ? body.networks.map((n: unknown, i) => (isTable(n) ? { network: n.network, path: [group, name, 'networks', i, 'network'] } : { network: n, path: [group, name, 'networks', i] }))
        : [];
      for (const { network, path } of [{ network: body.network, path: [group, name, 'network'] }, ...listed]) {
        // A malformed name is the schema's to report; only well-formed, unknown names here.
        if (typeof network !== 'string' || declared.includes(network) || !isValidName('network', network)) continue;
        const guess = closestMatch(network, declared);
        const hint = guess ? `did you mean "${guess}"?` : `declare it with a [network.${network}] table`;
        problems.push({ path, at: 'value', message: `network "${network}" is not defined in this file; ${hint}` });
      }
    }
  }
  return problems;
}

function capsulesDefinedTwice(raw: Table, positions: KeyPositions): NovaFileProblem[] {
  const containers = isTable(raw.container) ? raw.container : {};
  const capsules = isTable(raw.capsule) ? Object.keys(raw.capsule) : [];
  return capsules
    .filter((name) => Object.hasOwn(containers, name))
    .map((name) => {
      const line = positions.find(['container', name])?.key.line;
      const where = line === undefined ? '' : ` at line ${line}`;
      return {
        path: ['capsule', name],
        at: 'key' as const,
        message: `capsule "${name}" is already defined as [container.${name}]${where}; [container] and [capsule] are one table under two names, so a name may appear in only one`,
      };
    });
}

function overlappingSubnets(raw: Table, positions: KeyPositions): NovaFileProblem[] {
  const seen: { name: string; cidr: Cidr; text: string }[] = [];
  const problems: NovaFileProblem[] = [];
  for (const [name, body] of tablesOf(raw.network)) {
    if (typeof body.subnet !== 'string') continue;
    const parsed = parseSubnet(body.subnet);
    if (!parsed.ok) continue;
    const clash = seen.find((other) => cidrsOverlap(other.cidr, parsed.value.block));
    if (clash) {
      const line = positions.find(['network', clash.name, 'subnet'])?.value.line;
      problems.push({
        path: ['network', name, 'subnet'],
        at: 'value',
        message: `${parsed.value.subnet.cidr} overlaps the subnet of network "${clash.name}" (${clash.text}${line === undefined ? '' : `, line ${line}`}); give each network its own subnet`,
      });
    }
    seen.push({ name, cidr: parsed.value.block, text: parsed.value.subnet.cidr });
  }
  return problems;
}

function reusedVnis(raw: Table): NovaFileProblem[] {
  const owners = new Map<number, string>();
  const problems: NovaFileProblem[] = [];
  for (const [name, body] of tablesOf(raw.network)) {
    const vni = body.vni;
    if (typeof vni !== 'number' || !Number.isInteger(vni)) continue;
    const owner = owners.get(vni);
    if (owner !== undefined) {
      problems.push({
        path: ['network', name, 'vni'],
        at: 'value',
        message: `vni ${vni} is already used by network "${owner}"; each overlay needs its own VNI`,
      });
    } else owners.set(vni, name);
  }
  return problems;
}

/** A host port can be published once: by one capsule's `ports` or one network's `forwards`. */
function reusedHostPorts(raw: Table): NovaFileProblem[] {
  const owners = new Map<string, string>();
  const problems: NovaFileProblem[] = [];
  const claim = (hostPort: number, protocol: string, owner: string, path: KeyPath) => {
    const id = `${hostPort}/${protocol}`;
    const previous = owners.get(id);
    if (previous !== undefined) {
      problems.push({ path, at: 'value', message: `host port ${id} is already published by ${previous}` });
    } else owners.set(id, owner);
  };
  for (const group of CAPSULE_GROUPS) {
    for (const [name, body] of tablesOf(raw[group])) {
      if (!Array.isArray(body.ports)) continue;
      body.ports.forEach((spec: unknown, index) => {
        const parsed = typeof spec === 'string' ? parsePortMapping(spec) : undefined;
        if (parsed?.ok) claim(parsed.value.hostPort, parsed.value.protocol, `capsule "${name}"`, [group, name, 'ports', index]);
      });
    }
  }
  for (const [name, body] of tablesOf(raw.network)) {
    if (!Array.isArray(body.forwards)) continue;
    body.forwards.forEach((spec: unknown, index) => {
      const parsed = typeof spec === 'string' ? parseForward(spec) : undefined;
      if (parsed?.ok) claim(parsed.value.hostPort, parsed.value.protocol, `a forward of network "${name}"`, ['network', name, 'forwards', index]);
    });
  }
  return problems;
}
