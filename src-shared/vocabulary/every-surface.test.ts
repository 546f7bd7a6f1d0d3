// The same inputs typed into every surface that takes them: the CLI's flags and
// arguments, the NovaFile, the renderer's create dialogs and the contract schema the
// helper validates with (novaApi's params). Each row expects one verdict everywhere: the
// same parsed value, or a refusal. Lives beside the vocabulary because it is the one
// place allowed to see all four (src-shared tests are outside the layer rules).
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src-main/cli/cli-program.js';
import type { HelperClient } from '../../src-main/core/helper-client.js';
import { parseNovaFile, type NovaFileConfig } from '../../src-main/core/novafile/novafile-parser.js';
import { capsuleSpecFromForm, EMPTY_CAPSULE_FORM } from '../../src-renderer/src/lib/capsule-form.js';
import { checkNetworkForm, emptyNetworkForm, parsePeers } from '../../src-renderer/src/lib/network-form.js';
import { EMPTY_FORM, toSpec, validateForm, type VmCreateForm } from '../../src-renderer/src/lib/vm-create-form.js';
import { novaApi } from '../api/nova-api.js';
import { parseMacAddress } from './mac-address.js';
import type { Parsed } from './parsed.js';
import { parsePciAddress } from './pci-address.js';
import { MEBIBYTE } from './size.js';
import { syntaxSchema } from './syntax-schema.js';
import { parseVlanId } from './vlan-id.js';

type Verdict = { ok: true; value: unknown } | { ok: false };
type Surface = (input: string) => Verdict | Promise<Verdict>;

const REFUSED: Verdict = { ok: false };
const accepted = (value: unknown): Verdict => ({ ok: true, value });

// ---- the four kinds of surface ----------------------------------------------------

/** `nova --json ARGV` against a fake helper: refused is a usage error before any call. */
async function cli(argv: string[], pick: (params: Record<string, unknown>) => unknown): Promise<Verdict> {
  const calls: unknown[] = [];
  let stderr = '';
  const helper = { call: async (_method: string, params: unknown) => (calls.push(params), { name: 'x' }), onEvent: () => () => undefined, close: () => undefined };
  const code = await runCli(['--json', ...argv], { stdout: () => undefined, stderr: (t) => (stderr += t) }, { connectHelper: async () => helper as unknown as HelperClient });
  if (code === 2 && calls.length === 0) return REFUSED;
  if (code !== 0) throw new Error(`nova ${argv.join(' ')} exited ${code}: ${stderr}`);
  return accepted(pick(calls[0] as Record<string, unknown>));
}

/** A NovaFile of a few lines: refused when it yields no config. */
function novafile(lines: string[], pick: (config: NovaFileConfig) => unknown): Verdict {
  const { config } = parseNovaFile(['project = "p"', ...lines].join('\n'), 'NovaFile.toml', '/p');
  return config ? accepted(pick(config)) : REFUSED;
}

/** The schema the helper's dispatcher checks a method's params with. */
function contract(method: keyof typeof novaApi, params: Record<string, unknown>, pick: (parsed: Record<string, unknown>) => unknown): Verdict {
  const parsed = novaApi[method].params.safeParse(params);
  return parsed.success ? accepted(pick(parsed.data as Record<string, unknown>)) : REFUSED;
}

const toml = (text: string) => JSON.stringify(text);

/** The wizard refuses with an error beside the field; accepted, it sends what the contract parses its spec to. */
function vmWizard(over: Partial<VmCreateForm>, field: keyof VmCreateForm, pick: (spec: Record<string, unknown>) => unknown): Verdict {
  const form = { ...EMPTY_FORM, name: 'web', iso: '/x.iso', ...over };
  if (validateForm(form)[field] !== undefined) return REFUSED;
  return contract('vm.create', toSpec(form) as Record<string, unknown>, pick);
}

function capsuleDialog(over: Partial<typeof EMPTY_CAPSULE_FORM>, field: keyof typeof EMPTY_CAPSULE_FORM, pick: (spec: Record<string, unknown>) => unknown): Verdict {
  const { spec, errors } = capsuleSpecFromForm({ ...EMPTY_CAPSULE_FORM, name: 'web', image: 'alpine', ...over });
  if (errors[field] !== undefined || !spec) return REFUSED;
  return contract('capsule.create', spec as Record<string, unknown>, pick);
}

function networkDialog(over: Partial<ReturnType<typeof emptyNetworkForm>>, field: string, pick: (spec: Record<string, unknown>) => unknown): Verdict {
  const check = checkNetworkForm({ ...emptyNetworkForm('nat'), name: 'lan', subnet: '10.0.0.1/24', ...over });
  if ((check.errors as Record<string, string | undefined>)[field] !== undefined || !check.spec) return REFUSED;
  return contract('network.create', check.spec as Record<string, unknown>, pick);
}

// ---- what each syntax is, per surface ---------------------------------------------

interface Syntax {
  surfaces: Record<string, Surface>;
  /** The input, and the value every surface must produce from it (or REFUSED). */
  rows: Array<[string, unknown]>;
}

const mib = (bytes: unknown) => (bytes as number) / MEBIBYTE;
const one = <T,>(list: readonly T[] | undefined): T | undefined => list?.[0];
const subnetText = (c: NovaFileConfig) => {
  const s = c.networks[0]?.subnet;
  return s && `${s.gateway}/${s.prefix}`;
};

const SYNTAXES: Record<string, Syntax> = {
  'VM memory': {
    surfaces: {
      cli: (m) => cli(['vm', 'create', 'web', '--memory', m], (p) => p.memory),
      novafile: (m) => novafile(['[vm.web]', `memory = ${toml(m)}`], (c) => c.vms[0]?.memoryMiB),
      wizard: (m) => vmWizard({ memory: m }, 'memory', (s) => s.memory),
      contract: (m) => contract('vm.create', { name: 'web', memory: m }, (s) => s.memory),
    },
    rows: [
      ['512Mi', 512], ['2Gi', 2048], ['2GiB', 2048], ['2g', 2048], ['2G', 2048], ['2gb', 2048], ['2048', 2048], ['1.5Gi', 1536], ['16 GiB', 16384],
      ['16Mi', 16], ['8Mi', REFUSED], ['16Zi', REFUSED], ['lots', REFUSED], ['0', REFUSED], ['-1Gi', REFUSED], ['100Ki', REFUSED], ['17Ti', REFUSED], ['', REFUSED],
    ],
  },
  'disk size': {
    surfaces: {
      cli: (s) => cli(['vm', 'create', 'web', '--disk-size', s], (p) => p.diskSize),
      novafile: (s) => novafile(['[vm.web]', `disk_size = ${toml(s)}`], (c) => c.vms[0]?.diskSizeMiB),
      wizard: (s) => vmWizard({ diskSize: s }, 'diskSize', (p) => p.diskSize),
      contract: (s) => contract('vm.create', { name: 'web', diskSize: s }, (p) => p.diskSize),
    },
    rows: [['10Gi', 10240], ['10G', 10240], ['1Ti', 1048576], ['512', 512], ['1', 1], ['10Gb', 10240], ['10 GB', 10240], ['0.5Mi', REFUSED], ['ten', REFUSED], ['10Pi', REFUSED]],
  },
  'capsule memory limit': {
    surfaces: {
      cli: (m) => cli(['capsule', 'create', 'web', '--image', 'alpine', '--memory', m], (p) => mib(p.memoryBytes)),
      novafile: (m) => novafile(['[capsule.web]', 'capsule = "alpine"', `memory = ${toml(m)}`], (c) => c.capsules[0]?.memoryMiB),
      dialog: (m) => capsuleDialog({ memoryMiB: m }, 'memoryMiB', (s) => mib(s.memoryBytes)),
      contract: (m) => contract('capsule.create', { name: 'web', image: 'alpine', memory: m }, (s) => mib(s.memoryBytes)),
    },
    rows: [['512', 512], ['512Mi', 512], ['2g', 2048], ['2GiB', 2048], ['6', 6], ['64M', 64], ['2', REFUSED], ['1Mi', REFUSED], ['lots', REFUSED], ['1.5', REFUSED]],
  },
  'VM name': {
    surfaces: {
      cli: (n) => cli(['vm', 'create', n], (p) => p.name),
      novafile: (n) => novafile([`[vm.${toml(n)}]`], (c) => c.vms[0]?.name),
      wizard: (n) => vmWizard({ name: n }, 'name', (s) => s.name),
      contract: (n) => contract('vm.create', { name: n }, (s) => s.name),
    },
    rows: [['web-1', 'web-1'], ['a'.repeat(63), 'a'.repeat(63)], ['9lives', '9lives'], ['my_vm', REFUSED], ['Web', REFUSED], ['a/b', REFUSED], ['-a', REFUSED], ['a b', REFUSED], ['a'.repeat(64), REFUSED], ['', REFUSED]],
  },
  'capsule name': {
    surfaces: {
      cli: (n) => cli(['capsule', 'create', n, '--image', 'alpine'], (p) => p.name),
      novafile: (n) => novafile([`[capsule.${toml(n)}]`, 'capsule = "alpine"'], (c) => c.capsules[0]?.name),
      dialog: (n) => capsuleDialog({ name: n }, 'name', (s) => s.name),
      contract: (n) => contract('capsule.create', { name: n, image: 'alpine' }, (s) => s.name),
    },
    rows: [['api_1', 'api_1'], ['web-2', 'web-2'], ['Api', REFUSED], ['web..1', REFUSED], ['web.1', REFUSED], ['_x', REFUSED], ['a'.repeat(64), REFUSED]],
  },
  'network name': {
    surfaces: {
      cli: (n) => cli(['net', 'create', n], (p) => p.name),
      novafile: (n) => novafile([`[network.${toml(n)}]`], (c) => c.networks[0]?.name),
      dialog: (n) => networkDialog({ name: n }, 'name', (s) => s.name),
      contract: (n) => contract('network.create', { name: n }, (s) => s.name),
    },
    rows: [['lan_0', 'lan_0'], ['a'.repeat(15), 'a'.repeat(15)], ['laboratory-net12', REFUSED], ['Lan', REFUSED], ['lan/0', REFUSED]],
  },
  volume: {
    surfaces: {
      cli: (v) => cli(['capsule', 'create', 'web', '--image', 'alpine', '-v', v], (p) => one(p.volumes as unknown[])),
      novafile: (v) => novafile(['[capsule.web]', 'capsule = "alpine"', `volumes = [${toml(v)}]`], (c) => one(c.capsules[0]?.volumes)),
      dialog: (v) => capsuleDialog({ volumes: v }, 'volumes', (s) => one(s.volumes as unknown[])),
      contract: (v) => contract('capsule.create', { name: 'web', image: 'alpine', volumes: [v] }, (s) => one(s.volumes as unknown[])),
    },
    // Relative host paths are left out: each surface resolves them from its own folder (the CLI's, the NovaFile's).
    rows: [
      ['/srv/data:/data', { source: '/srv/data', target: '/data', readOnly: false }],
      ['/srv/data:/data:ro', { source: '/srv/data', target: '/data', readOnly: true }],
      ['/srv//data/:/data/:rw', { source: '/srv/data', target: '/data', readOnly: false }],
      ['/srv:/', REFUSED], ['/srv/../etc:/x', REFUSED], ['/srv:data', REFUSED], ['/srv:/x:rx', REFUSED], ['/srv', REFUSED], ['~/src:/src', REFUSED],
    ],
  },
  'port mapping': {
    surfaces: {
      cli: (p) => cli(['capsule', 'create', 'web', '--image', 'alpine', '-p', p], (s) => one(s.ports as unknown[])),
      novafile: (p) => novafile(['[capsule.web]', 'capsule = "alpine"', 'network = "lan"', `ports = [${toml(p)}]`, '[network.lan]'], (c) => one(c.capsules[0]?.ports)),
      contract: (p) => contract('capsule.create', { name: 'web', image: 'alpine', ports: [p] }, (s) => one(s.ports as unknown[])),
    },
    rows: [
      ['8080:80', { hostPort: 8080, guestPort: 80, protocol: 'tcp' }],
      ['5353:53/udp', { hostPort: 5353, guestPort: 53, protocol: 'udp' }],
      ['5353:53/UDP', { hostPort: 5353, guestPort: 53, protocol: 'udp' }],
      ['8080', REFUSED], ['0:80', REFUSED], ['70000:80', REFUSED], ['80:80/sctp', REFUSED], ['a:b', REFUSED],
    ],
  },
  'restart policy': {
    surfaces: {
      cli: (r) => cli(['capsule', 'create', 'web', '--image', 'alpine', '--restart', r], (p) => p.restart),
      novafile: (r) => novafile(['[capsule.web]', 'capsule = "alpine"', `restart = ${toml(r)}`], (c) => c.capsules[0]?.restart),
      dialog: (r) => capsuleDialog({ restart: r }, 'restart', (s) => s.restart),
      contract: (r) => contract('capsule.create', { name: 'web', image: 'alpine', restart: r }, (s) => s.restart),
    },
    rows: [
      ['no', { mode: 'no' }], ['always', { mode: 'always' }], ['on-failure', { mode: 'on-failure', maxRetries: null }], ['on-failure:3', { mode: 'on-failure', maxRetries: 3 }],
      ['on-failure:0', REFUSED], ['on-failure:1001', REFUSED], ['unless-stopped', REFUSED], ['', REFUSED],
    ],
  },
  'image reference': {
    surfaces: {
      cli: (i) => cli(['capsule', 'create', 'web', '--image', i], (p) => p.image),
      novafile: (i) => novafile(['[capsule.web]', `capsule = ${toml(i)}`], (c) => c.capsules[0]?.image.text),
      dialog: (i) => capsuleDialog({ image: i }, 'image', (s) => s.image),
      contract: (i) => contract('capsule.create', { name: 'web', image: i }, (s) => s.image),
    },
    rows: [
      ['ubuntu:22.04', 'ubuntu:22.04'], ['docker.io/library/alpine:3.20', 'docker.io/library/alpine:3.20'], [`ghcr.io/o/r@sha256:${'a'.repeat(64)}`, `ghcr.io/o/r@sha256:${'a'.repeat(64)}`],
      ['Ubuntu', REFUSED], ['ubuntu:', REFUSED], ['a b', REFUSED], ['img@sha256:abc', REFUSED],
    ],
  },
  forward: {
    surfaces: {
      cli: (f) => cli(['net', 'create', 'lan', '--forward', f], (p) => one(p.forwards as unknown[])),
      novafile: (f) => novafile(['[network.lan]', `forwards = [${toml(f)}]`], (c) => one(c.networks[0]?.forwards)),
      contract: (f) => contract('network.create', { name: 'lan', forwards: [f] }, (s) => one(s.forwards as unknown[])),
    },
    rows: [
      ['8080:10.203.0.10:80', { hostPort: 8080, guestAddress: '10.203.0.10', guestPort: 80, protocol: 'tcp' }],
      ['2222:[FD00::10]:22/udp', { hostPort: 2222, guestAddress: 'fd00::10', guestPort: 22, protocol: 'udp' }],
      ['2222:fd00::10:22', REFUSED], ['8080-10.0.0.1', REFUSED], ['0:10.0.0.1:22', REFUSED], ['80:10.0.0.300:80', REFUSED],
    ],
  },
  'egress rule': {
    surfaces: {
      cli: (e) => cli(['net', 'create', 'lan', '--egress-allow', e], (p) => one(p.egressAllow as unknown[])),
      novafile: (e) => novafile(['[network.lan]', `egress_allow = [${toml(e)}]`], (c) => one(c.networks[0]?.egressAllow)),
      contract: (e) => contract('network.create', { name: 'lan', egressAllow: [e] }, (s) => one(s.egressAllow as unknown[])),
    },
    rows: [
      ['10.0.0.0/8:443/tcp', { destination: '10.0.0.0/8', ports: { from: 443, to: 443 }, protocol: 'tcp' }],
      ['53/udp', { destination: null, ports: { from: 53, to: 53 }, protocol: 'udp' }],
      ['1.1.1.1', { destination: '1.1.1.1/32', ports: null, protocol: null }],
      ['[fd00::/8]:8000-8100', { destination: 'fd00::/8', ports: { from: 8000, to: 8100 }, protocol: null }],
      ['10.0.0.1/8:443', REFUSED], ['100-10', REFUSED], ['example.com:443', REFUSED], ['10.0.0.0/8:443/icmp', REFUSED],
    ],
  },
  peer: {
    surfaces: {
      cli: (p) => cli(['net', 'create', 'ov', '--type', 'overlay', '--peer', p], (s) => one(s.peers as unknown[])),
      novafile: (p) => novafile(['[network.ov]', 'type = "overlay"', `driver = ${p.includes('@') ? '"wireguard"' : '"vxlan"'}`, `peers = [${toml(p)}]`], (c) => one(c.networks[0]?.peers)),
      dialog: (p) => {
        const peers = parsePeers(p, p.includes('@') ? 'wireguard' : 'vxlan');
        return typeof peers === 'string' ? REFUSED : contract('network.setPeers', { name: 'ov', peers }, (s) => one(s.peers as unknown[]));
      },
      contract: (p) => contract('network.setPeers', { name: 'ov', peers: [p] }, (s) => one(s.peers as unknown[])),
    },
    rows: [
      ['192.0.2.10', { host: '192.0.2.10', port: null }],
      ['Peer.LAN:4789', { host: 'peer.lan', port: 4789 }],
      ['[fd00::2]:4789', { host: 'fd00::2', port: 4789 }],
      ['xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=@192.0.2.2:51820', { host: '192.0.2.2', port: 51820, publicKey: 'xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=' }],
      ['10.0.0.300', REFUSED], ['peer:99999', REFUSED], ['short@192.0.2.2', REFUSED], ['[192.0.2.2]:1', REFUSED], ['bad_host!', REFUSED],
    ],
  },
  subnet: {
    surfaces: {
      cli: (s) => cli(['net', 'create', 'lan', '--subnet', s], (p) => p.subnet),
      novafile: (s) => novafile(['[network.lan]', `subnet = ${toml(s)}`], subnetText),
      dialog: (s) => networkDialog({ subnet: s }, 'subnet', (p) => p.subnet),
      contract: (s) => contract('network.create', { name: 'lan', subnet: s }, (p) => p.subnet),
    },
    rows: [
      ['192.168.220.1/24', '192.168.220.1/24'], ['10.0.8.129/25', '10.0.8.129/25'], ['FD42::1/64', 'fd42::1/64'],
      ['10.0.0.0/24', '10.0.0.1/24'], ['10.0.0.255/24', REFUSED], ['10.0.0.1/31', REFUSED], ['10.0.0.1/4', REFUSED], ['10.0.0.300/24', REFUSED], ['10.0.0.1', REFUSED],
    ],
  },
  'DHCP range': {
    surfaces: {
      cli: (r) => cli(['net', 'create', 'lan', '--dhcp-range', r], (p) => p.dhcpRange),
      novafile: (r) => novafile(['[network.lan]', 'subnet = "10.0.0.1/24"', `dhcp_range = ${toml(r)}`], (c) => c.networks[0]?.dhcpRange),
      contract: (r) => contract('network.create', { name: 'lan', dhcpRange: r }, (p) => p.dhcpRange),
    },
    rows: [
      ['10.0.0.100-10.0.0.199', { start: '10.0.0.100', end: '10.0.0.199' }],
      ['10.0.0.100 - 10.0.0.199', { start: '10.0.0.100', end: '10.0.0.199' }],
      ['10.0.0.10', REFUSED], ['10.0.0.9-10.0.0.5', REFUSED], ['10.0.0.9-fd00::1', REFUSED], ['a-b', REFUSED],
    ],
  },
  'uplink interface name': {
    surfaces: {
      cli: (i) => cli(['net', 'create', 'lan', '--uplink', i], (p) => one(p.uplinks as unknown[])),
      novafile: (i) => novafile(['[network.lan]', `interfaces = [${toml(i)}]`], (c) => one(c.networks[0]?.interfaces)),
      dialog: (i) => networkDialog({ uplink: i }, 'uplink', (s) => one(s.uplinks as unknown[])),
      contract: (i) => contract('network.create', { name: 'lan', uplinks: [i] }, (s) => one(s.uplinks as unknown[])),
    },
    rows: [
      ['enp6s0', 'enp6s0'], ['eth0.100', 'eth0.100'], ['wlp0s20f3', 'wlp0s20f3'], ['a'.repeat(15), 'a'.repeat(15)], ['br-lan_1', 'br-lan_1'],
      // "" is left out: an empty field in the dialog means "no uplink".
      ['a'.repeat(16), REFUSED], ['eth/0', REFUSED], ['eth 0', REFUSED], ['eth0:1', REFUSED], ['.', REFUSED], ['..', REFUSED],
      ['x; rm -rf /', REFUSED], ['$(id)', REFUSED], ['--help', '--help'],
    ],
  },
  'ISO path': {
    surfaces: {
      cli: (f) => cli(['vm', 'create', 'web', '--iso', f], (p) => p.iso),
      novafile: (f) => novafile(['[vm.web]', `iso = ${toml(f)}`], (c) => c.vms[0]?.iso),
      wizard: (f) => vmWizard({ source: 'iso', iso: f }, 'iso', (s) => s.iso),
      contract: (f) => contract('vm.create', { name: 'web', iso: f }, (s) => s.iso),
    },
    // Relative paths are left out, as for volumes: each surface resolves them from its own folder.
    rows: [
      ['/srv/iso/debian-12.iso', '/srv/iso/debian-12.iso'], ['/srv/iso/with space.iso', '/srv/iso/with space.iso'], ['/srv/x; rm -rf $(id).iso', '/srv/x; rm -rf $(id).iso'], ['/srv/--help', '/srv/--help'],
      ['', REFUSED], ['/srv/a\u0000b.iso', REFUSED], ['~/x.iso', REFUSED],
    ],
  },
  'VM network': {
    surfaces: {
      cli: (n) => cli(['vm', 'create', 'web', '--network', n], (p) => p.network),
      wizard: (n) => vmWizard({ network: n }, 'network', (s) => s.network),
      contract: (n) => contract('vm.create', { name: 'web', network: n }, (s) => s.network),
    },
    rows: [['none', 'none'], ['user', 'user'], ['nova:lab', { nova: 'lab' }], ['lab', REFUSED], ['nova:Lab', REFUSED], ['nova:', REFUSED]],
  },
};

async function verdicts(syntax: Syntax, input: string): Promise<Record<string, Verdict>> {
  const out: Record<string, Verdict> = {};
  for (const [surface, run] of Object.entries(syntax.surfaces)) out[surface] = await run(input);
  return out;
}

function expectedVerdicts(syntax: Syntax, expected: unknown): Record<string, Verdict> {
  const verdict = expected === REFUSED ? REFUSED : accepted(expected);
  return Object.fromEntries(Object.keys(syntax.surfaces).map((surface) => [surface, verdict]));
}

describe('one verdict for one input on every surface', () => {
  const cases = Object.entries(SYNTAXES).flatMap(([name, syntax]) => syntax.rows.map(([input, expected]) => ({ name, syntax, input, expected })));

  it('covers every syntax the issue names, each on at least three surfaces', () => {
    expect(Object.keys(SYNTAXES).length).toBeGreaterThanOrEqual(15);
    for (const syntax of Object.values(SYNTAXES)) expect(Object.keys(syntax.surfaces).length).toBeGreaterThanOrEqual(3);
  });

  it.each(cases)('$name $input', async ({ syntax, input, expected }) => {
    expect(await verdicts(syntax, input)).toEqual(expectedVerdicts(syntax, expected));
  });

  it('fails when one surface disagrees', async () => {
    // A surface with a parser of its own, as the CLI's capsule --memory had (a bare number was bytes).
    const syntax = SYNTAXES['capsule memory limit']!;
    const diverging: Syntax = { ...syntax, surfaces: { ...syntax.surfaces, own: (m) => accepted(Number(m) / MEBIBYTE) } };
    expect(await verdicts(diverging, '512')).not.toEqual(expectedVerdicts(diverging, 512));
  });
});

// Syntaxes no method takes yet (MACs and VLAN ids for interfaces, PCI addresses for
// passthrough): their one parser, and the schema the helper will check them with (the
// parser through syntaxSchema), must already agree, with the NovaFile where it takes one.
const parser = <T,>(parse: (text: string) => Parsed<T>): Surface => (text) => {
  const r = parse(text);
  return r.ok ? accepted(r.value) : REFUSED;
};
const schema = <T,>(parse: (input: unknown) => Parsed<T>): Surface => (text) => {
  const r = syntaxSchema<T>(parse).safeParse(text);
  return r.success ? accepted(r.data) : REFUSED;
};
const asText = <T,>(parse: (text: string) => Parsed<T>) => (input: unknown): Parsed<T> => (typeof input === 'string' ? parse(input) : { ok: false, message: 'not text' });

const PENDING_SYNTAXES: Record<string, Syntax> = {
  'MAC address': {
    surfaces: { vocabulary: parser(parseMacAddress), contract: schema(asText(parseMacAddress)) },
    rows: [
      ['52:54:00:12:34:56', '52:54:00:12:34:56'], ['52-54-00-AB-CD-EF', '52:54:00:ab:cd:ef'], ['02:00:00:00:00:01', '02:00:00:00:00:01'],
      ['01:00:5e:00:00:01', REFUSED], ['33:33:00:00:00:01', REFUSED], ['ff:ff:ff:ff:ff:ff', REFUSED], ['03:00:00:00:00:00', REFUSED],
      ['00:00:00:00:00:00', REFUSED], ['52:54:00-12:34:56', REFUSED], ['52:54:00:12:34', REFUSED], ['5254.0012.3456', REFUSED], ['52:54:00:12:34:5g', REFUSED], ['', REFUSED],
    ],
  },
  'VLAN id': {
    surfaces: { vocabulary: parser(parseVlanId), contract: schema(parseVlanId) },
    rows: [['1', 1], ['100', 100], ['4094', 4094], [' 42 ', 42], ['0', REFUSED], ['4095', REFUSED], ['-1', REFUSED], ['1.5', REFUSED], ['0x10', REFUSED], ['', REFUSED], ['vlan10', REFUSED]],
  },
  'PCI address': {
    surfaces: {
      vocabulary: parser(parsePciAddress),
      contract: schema(asText(parsePciAddress)),
      novafile: (a) => novafile(['[vm.web]', `gpu_passthrough = [${toml(a)}]`], (c) => {
        const gpu = c.vms[0]?.gpuPassthrough;
        return gpu?.kind === 'devices' ? gpu.addresses[0] : undefined;
      }),
    },
    rows: [
      ['0000:01:00.0', '0000:01:00.0'], ['01:00.0', '0000:01:00.0'], ['0000:0A:1F.7', '0000:0a:1f.7'], ['ffff:ff:1f.7', 'ffff:ff:1f.7'],
      ['0000:01:20.0', REFUSED], ['0000:01:00.8', REFUSED], ['1:00.0', REFUSED], ['0000:01:00', REFUSED], ['0000:01:00.0 ', REFUSED], ['../01:00.0', REFUSED], ['', REFUSED],
    ],
  },
};

describe('one verdict for syntaxes no method takes yet', () => {
  const cases = Object.entries(PENDING_SYNTAXES).flatMap(([name, syntax]) => syntax.rows.map(([input, expected]) => ({ name, syntax, input, expected })));

  it.each(cases)('$name $input', async ({ syntax, input, expected }) => {
    expect(await verdicts(syntax, input)).toEqual(expectedVerdicts(syntax, expected));
  });
});
