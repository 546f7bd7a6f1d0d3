import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isNovaError, NovaFileValidationSchema } from '../../../src-shared/index.js';
import {
  formatKeyPath,
  formatNovaFileDiagnostic,
  loadNovaFile,
  parseNovaFile,
  validateNovaFile,
} from './novafile-parser.js';

const DEV_LAB = `project = "dev-lab"

[vm.win11]
image = "/var/lib/nova/images/win11.qcow2"
cpu = 8
memory = "16Gi"
gpu_passthrough = true
network = "bridge0"

[container.api]
capsule = "ubuntu:22.04"
volumes = ["./api:/srv/api"]
network = "nova-net"
env.API_KEY = "secret"

[network.bridge0]
type = "bridge"
interfaces = ["enp6s0"]

[network.nova-net]
type = "overlay"
driver = "quic"
dns = true
`;

describe('the product example', () => {
  it('validates with no diagnostics at all', () => {
    const result = validateNovaFile(DEV_LAB, 'NovaFile.toml');
    expect(result.diagnostics).toEqual([]);
    expect(result.valid).toBe(true);
    expect(result.summary).toEqual({
      project: 'dev-lab',
      vms: ['win11'],
      capsules: ['api'],
      networks: ['bridge0', 'nova-net'],
    });
    // The result is what the novafile.validate API promises.
    expect(NovaFileValidationSchema.safeParse(result).success).toBe(true);
  });

  it('yields a typed config for nova up', () => {
    const { config, diagnostics } = parseNovaFile(DEV_LAB, 'NovaFile.toml', '/home/dev/lab');
    expect(diagnostics).toEqual([]);
    expect(config).toMatchObject({
      project: 'dev-lab',
      baseDir: '/home/dev/lab',
      vms: [
        {
          name: 'win11',
          image: '/var/lib/nova/images/win11.qcow2',
          cpu: 8,
          memoryMiB: 16384,
          gpuPassthrough: { kind: 'auto' },
          network: 'bridge0',
        },
      ],
      capsules: [
        {
          name: 'api',
          image: { repository: 'ubuntu', tag: '22.04', registry: null },
          volumes: [{ source: '/home/dev/lab/api', target: '/srv/api', readOnly: false }],
          env: { API_KEY: 'secret' },
          network: 'nova-net',
        },
      ],
      networks: [
        { name: 'bridge0', type: 'bridge', profile: 'external', interfaces: ['enp6s0'] },
        // Which overlay drivers exist is an apply-time question: "quic" is accepted here.
        { name: 'nova-net', type: 'overlay', driver: 'quic', dns: true },
      ],
    });
  });
});

interface Case {
  name: string;
  toml: string;
  line: number;
  column: number;
  /** undefined: the diagnostic must have no key (a plain syntax error). */
  key: string | undefined;
  message: string;
}

// Each case is small and names the one diagnostic it must produce. Columns are 1-based.
const MALFORMED: Case[] = [
  // --- TOML syntax (smol-toml's position) ---
  {
    name: 'unterminated string',
    toml: 'project = "dev-lab\n',
    line: 1, column: 19, key: undefined,
    message: 'string is not closed',
  },
  {
    name: 'unterminated string at end of file',
    toml: 'project = "x"\n[vm.a]\ncmdline = "console=ttyS0',
    line: 3, column: 11, key: undefined,
    message: 'string is not closed',
  },
  {
    name: 'inline table without a comma',
    toml: 'project = "x"\n[vm.a]\ncloud_init = { user = "dev" hostname = "a" }\n',
    line: 3, column: 29, key: undefined,
    message: 'expected ","',
  },
  {
    name: 'inline table with a missing value',
    toml: 'project = "x"\n[vm.a]\ncloud_init = { user = }\n',
    line: 3, column: 23, key: undefined,
    message: 'value is missing or malformed',
  },
  {
    name: 'unquoted string value',
    toml: 'project = "x"\n[network.lan]\ntype = bridge\n',
    line: 3, column: 8, key: undefined,
    message: 'text needs quotes',
  },
  {
    name: 'duplicate key',
    toml: 'project = "x"\n[vm.a]\ncpu = 2\ncpu = 4\n',
    line: 4, column: 1, key: 'vm.a.cpu',
    message: '"vm.a.cpu" is already defined at line 3',
  },
  {
    name: 'duplicate table',
    toml: 'project = "x"\n[vm.a]\ncpu = 2\n\n[vm.a]\nmemory = "1Gi"\n',
    line: 5, column: 2, key: 'vm.a',
    message: 'table [vm.a] is already defined at line 2',
  },
  {
    name: 'table redefining a dotted key',
    toml: 'project = "x"\n[container.api]\ncapsule = "alpine"\nenv.A = "1"\n[container.api.env]\nB = "2"\n',
    line: 5, column: 2, key: 'container.api.env',
    message: 'is already defined at line 4',
  },
  {
    name: 'key without "="',
    toml: 'project = "x"\n[vm.a]\ncpu 4\n',
    line: 3, column: 5, key: undefined,
    message: 'not a valid key',
  },

  // --- unknown keys ---
  {
    name: 'misspelt key',
    toml: 'project = "x"\n[vm.win11]\nmemroy = "16Gi"\n',
    line: 3, column: 1, key: 'vm.win11.memroy',
    message: 'unknown key "memroy"; did you mean "memory"?',
  },
  {
    name: 'misspelt table',
    toml: 'project = "x"\n\n[netwrok.lan]\ntype = "bridge"\n',
    line: 3, column: 2, key: 'netwrok',
    message: 'did you mean "network"?',
  },
  {
    name: 'capsule key in a VM',
    toml: 'project = "x"\n[vm.a]\nports = ["80:80"]\n',
    line: 3, column: 1, key: 'vm.a.ports',
    message: '"ports" belongs in a capsule',
  },
  {
    name: 'unknown key with no close match lists the valid ones',
    toml: 'project = "x"\n[network.lan]\ncolour = "red"\n',
    line: 3, column: 1, key: 'network.lan.colour',
    message: 'valid keys are type, profile, subnet',
  },
  {
    name: 'misspelt cloud_init key in an inline table',
    toml: 'project = "x"\n[vm.a]\ncloud_init = { user = "dev", hostnme = "a" }\n',
    line: 3, column: 30, key: 'vm.a.cloud_init.hostnme',
    message: 'did you mean "hostname"?',
  },

  // --- wrong types and values ---
  {
    name: 'cpu as a string',
    toml: 'project = "x"\n[vm.a]\ncpu = "8"\n',
    line: 3, column: 7, key: 'vm.a.cpu',
    message: 'expected a whole number of virtual CPUs from 1 to 256, got "8"',
  },
  {
    name: 'zero CPUs',
    toml: 'project = "x"\n[vm.a]\ncpu = 0\n',
    line: 3, column: 7, key: 'vm.a.cpu',
    message: 'from 1 to 256, got 0',
  },
  {
    name: 'too many CPUs',
    toml: 'project = "x"\n[vm.a]\ncpu = 1024\n',
    line: 3, column: 7, key: 'vm.a.cpu',
    message: 'got 1024',
  },
  {
    name: 'fractional VM CPUs',
    toml: 'project = "x"\n[vm.a]\ncpu = 1.5\n',
    line: 3, column: 7, key: 'vm.a.cpu',
    message: 'whole number',
  },
  {
    name: 'zero capsule CPUs',
    toml: 'project = "x"\n[capsule.a]\ncapsule = "alpine"\ncpu = 0\n',
    line: 4, column: 7, key: 'capsule.a.cpu',
    message: 'greater than 0',
  },
  {
    name: 'unknown size unit',
    toml: 'project = "x"\n\n[vm.win11]\nimage = "/i.qcow2"\ncpu = 8\n\nmemory = "16Zi"\n',
    line: 7, column: 10, key: 'vm.win11.memory',
    message: '"16Zi" is not a memory size: unit "Zi" is not supported; use Ki, Mi, Gi or Ti (e.g. "16Gi")',
  },
  {
    name: 'memory below what a VM needs',
    toml: 'project = "x"\n[vm.a]\nmemory = "8Mi"\n',
    line: 3, column: 10, key: 'vm.a.memory',
    message: 'memory size "8Mi" is below the minimum; it must be at least 16 MiB',
  },
  {
    name: 'VM name with "_", which the helper refuses',
    toml: 'project = "x"\n[vm.my_vm]\ncpu = 1\n',
    line: 2, column: 5, key: 'vm.my_vm',
    message: 'vm name "my_vm" contains "_"; use lowercase letters, digits and "-", starting with a letter or digit (e.g. "my-vm")',
  },
  {
    name: 'capsule memory below the runtime\'s floor',
    toml: 'project = "x"\n[capsule.a]\ncapsule = "alpine"\nmemory = 4\n',
    line: 4, column: 10, key: 'capsule.a.memory',
    message: 'memory limit 4 MiB is below the minimum; it must be at least 6 MiB',
  },
  {
    name: 'capsule user given by name',
    toml: 'project = "x"\n[capsule.a]\ncapsule = "alpine"\nuser = "www-data"\n',
    line: 4, column: 8, key: 'capsule.a.user',
    message: 'Nova does not look names up in the image',
  },
  {
    name: 'bad machine type',
    toml: 'project = "x"\n[vm.a]\nmachine = "pc"\n',
    line: 3, column: 11, key: 'vm.a.machine',
    message: '"pc" is not a machine type; use "q35" or "microvm"',
  },
  {
    name: 'bad firmware',
    toml: 'project = "x"\n[vm.a]\nfirmware = "efi"\n',
    line: 3, column: 12, key: 'vm.a.firmware',
    message: 'use "bios", "uefi" or "uefi-secure"',
  },
  {
    name: 'secure boot with bios',
    toml: 'project = "x"\n[vm.a]\nfirmware = "bios"\nsecure_boot = true\n',
    line: 4, column: 1, key: 'vm.a.secure_boot',
    message: 'Secure Boot needs UEFI firmware, and firmware "bios" has none',
  },
  {
    name: 'windows11 on bios',
    toml: 'project = "x"\n[vm.a]\nos = "windows11"\nfirmware = "bios"\n',
    line: 4, column: 1, key: 'vm.a.firmware',
    message: 'Windows 11 needs UEFI with Secure Boot',
  },
  {
    name: 'bad display',
    toml: 'project = "x"\n[vm.a]\ndisplay = "rdp"\n',
    line: 3, column: 11, key: 'vm.a.display',
    message: 'use "vnc", "spice", "both" or "none"',
  },
  {
    name: 'gpu_passthrough as a word',
    toml: 'project = "x"\n[vm.a]\ngpu_passthrough = "yes"\n',
    line: 3, column: 19, key: 'vm.a.gpu_passthrough',
    message: '"yes" is not a PCI address',
  },
  {
    name: 'bad PCI address in a list',
    toml: 'project = "x"\n[vm.a]\ngpu_passthrough = ["0000:01:00.0", "01:00"]\n',
    line: 3, column: 36, key: 'vm.a.gpu_passthrough[1]',
    message: 'is not a PCI address',
  },
  {
    name: 'microvm without a kernel',
    toml: 'project = "x"\n[vm.a]\nmachine = "microvm"\n',
    line: 3, column: 11, key: 'vm.a.machine',
    message: 'set kernel',
  },
  {
    name: 'initrd without a kernel',
    toml: 'project = "x"\n[vm.a]\nimage = "a.qcow2"\ninitrd = "./initrd"\n',
    line: 4, column: 1, key: 'vm.a.initrd',
    message: 'used only with direct kernel boot',
  },
  {
    name: 'private key in ssh_authorized_keys',
    toml: 'project = "x"\n[vm.a.cloud_init]\nssh_authorized_keys = [\n  "-----BEGIN OPENSSH PRIVATE KEY-----",\n]\n',
    line: 4, column: 3, key: 'vm.a.cloud_init.ssh_authorized_keys[0]',
    message: 'this is a private key',
  },
  {
    name: 'table given a plain value',
    toml: 'project = "x"\nvm = 5\n',
    line: 2, column: 6, key: 'vm',
    message: 'expected a table of VMs, e.g. [vm.NAME], got 5',
  },
  {
    name: 'bad domain',
    toml: 'project = "x"\ndomain = "lab_example"\n',
    line: 2, column: 10, key: 'domain',
    message: 'is not a valid domain',
  },

  // --- names ---
  {
    name: 'name with a slash',
    toml: 'project = "x"\n[vm."a/b"]\ncpu = 1\n',
    line: 2, column: 5, key: 'vm."a/b"',
    message: 'vm name "a/b" contains "/"',
  },
  {
    name: 'name with ".."',
    toml: 'project = "x"\n[capsule."web..1"]\ncapsule = "alpine"\n',
    line: 2, column: 10, key: 'capsule."web..1"',
    message: 'contains ".."',
  },
  {
    name: 'name with a space',
    toml: 'project = "x"\n[vm."my vm"]\ncpu = 1\n',
    line: 2, column: 5, key: 'vm."my vm"',
    message: 'contains a space',
  },
  {
    name: 'name of 64 characters',
    toml: `project = "x"\n[vm.${'a'.repeat(64)}]\ncpu = 1\n`,
    line: 2, column: 5, key: `vm.${'a'.repeat(64)}`,
    message: 'is 64 characters long; the limit is 63',
  },
  {
    name: 'network name longer than an interface name',
    toml: 'project = "x"\n[network.laboratory-net12]\ntype = "bridge"\n',
    line: 2, column: 10, key: 'network.laboratory-net12',
    message: 'the limit is 15 (network names become Linux interface names)',
  },
  {
    name: 'uppercase name',
    toml: 'project = "x"\n[vm.Win11]\ncpu = 1\n',
    line: 2, column: 5, key: 'vm.Win11',
    message: 'write it in lowercase: "win11"',
  },
  {
    name: 'missing project',
    toml: '[vm.a]\ncpu = 1\n',
    line: 1, column: 1, key: 'project',
    message: 'required key is missing; expected the name of a project',
  },

  // --- networks ---
  {
    name: 'bad CIDR',
    toml: 'project = "x"\n[network.lan]\nsubnet = "10.0.0.300/24"\n',
    line: 3, column: 10, key: 'network.lan.subnet',
    message: 'subnet "10.0.0.300/24" is not a CIDR',
  },
  {
    name: 'prefix out of range',
    toml: 'project = "x"\n[network.lan]\nsubnet = "10.0.0.1/33"\n',
    line: 3, column: 10, key: 'network.lan.subnet',
    message: 'is not a CIDR',
  },
  {
    name: 'subnet given as the broadcast address',
    toml: 'project = "x"\n[network.lan]\nsubnet = "10.203.0.255/24"\n',
    line: 3, column: 10, key: 'network.lan.subnet',
    message: 'e.g. "10.203.0.1/24"',
  },
  {
    name: 'DHCP range outside the subnet',
    toml: 'project = "x"\n[network.lan]\nsubnet = "10.203.0.1/24"\ndhcp_range = "10.203.1.10-10.203.1.20"\n',
    line: 4, column: 14, key: 'network.lan.dhcp_range',
    message: 'the range is outside the subnet 10.203.0.0/24',
  },
  {
    name: 'DHCP range without a subnet',
    toml: 'project = "x"\n[network.lan]\ndhcp_range = "10.203.0.10-10.203.0.20"\n',
    line: 3, column: 14, key: 'network.lan.dhcp_range',
    message: 'needs a subnet',
  },
  {
    name: 'DHCP range that is not a range',
    toml: 'project = "x"\n[network.lan]\nsubnet = "10.203.0.1/24"\ndhcp_range = "10.203.0.10"\n',
    line: 4, column: 14, key: 'network.lan.dhcp_range',
    message: 'is not a range',
  },
  {
    name: 'vni out of range',
    toml: 'project = "x"\n[network.ov]\ntype = "overlay"\nvni = 16777216\n',
    line: 4, column: 7, key: 'network.ov.vni',
    message: 'from 1 to 16777215, got 16777216',
  },
  {
    name: 'overlay-only key on a bridge',
    toml: 'project = "x"\n[network.lan]\nvni = 42\n',
    line: 3, column: 1, key: 'network.lan.vni',
    message: 'applies only to overlay networks',
  },
  {
    name: 'listen port on a bridge',
    toml: 'project = "x"\n[network.lan]\nlisten_port = 51820\n',
    line: 3, column: 1, key: 'network.lan.listen_port',
    message: 'listen_port applies only to overlay networks',
  },
  {
    name: 'listen port on a vxlan overlay',
    toml: 'project = "x"\n[network.ov]\ntype = "overlay"\nvni = 4\nlisten_port = 51820\n',
    line: 5, column: 1, key: 'network.ov.listen_port',
    message: 'listen_port applies only to driver = "wireguard"',
  },
  {
    name: 'listen port out of range',
    toml: 'project = "x"\n[network.wg]\ntype = "overlay"\ndriver = "wireguard"\nvni = 4\nlisten_port = 70000\n',
    line: 6, column: 15, key: 'network.wg.listen_port',
    message: 'a UDP port from 1 to 65535',
  },
  {
    name: 'listen port as text',
    toml: 'project = "x"\n[network.wg]\ntype = "overlay"\ndriver = "wireguard"\nvni = 4\nlisten_port = "51820"\n',
    line: 6, column: 15, key: 'network.wg.listen_port',
    message: 'a UDP port from 1 to 65535',
  },
  {
    name: 'wireguard peer without a key',
    toml: 'project = "x"\n[network.wg]\ntype = "overlay"\ndriver = "wireguard"\nvni = 4\npeers = ["192.0.2.2:51820"]\n',
    line: 6, column: 10, key: 'network.wg.peers[0]',
    message: 'wireguard peer "192.0.2.2:51820" has no public key; write it as "KEY@192.0.2.2:51820"',
  },
  {
    name: 'wireguard peer with a bad key',
    toml: 'project = "x"\n[network.wg]\ntype = "overlay"\ndriver = "wireguard"\nvni = 4\npeers = ["abc@192.0.2.2"]\n',
    line: 6, column: 10, key: 'network.wg.peers[0]',
    message: '"abc" is not a WireGuard public key',
  },
  {
    name: 'external network without interfaces',
    toml: 'project = "x"\n[network.lan]\nprofile = "external"\n',
    line: 3, column: 11, key: 'network.lan.profile',
    message: 'add interfaces = ["enp6s0"]',
  },
  {
    name: 'bad network profile',
    toml: 'project = "x"\n[network.lan]\nprofile = "isolated"\n',
    line: 3, column: 11, key: 'network.lan.profile',
    message: 'use "nat", "external" or "internal"',
  },
  {
    name: 'egress rule with host bits',
    toml: 'project = "x"\n[network.lan]\negress_allow = ["53/udp", "10.0.0.1/8:443"]\n',
    line: 3, column: 27, key: 'network.lan.egress_allow[1]',
    message: 'did you mean "10.0.0.0/8"?',
  },
  {
    name: 'forward to an address outside the subnet',
    toml: 'project = "x"\n[network.lan]\nsubnet = "10.203.0.1/24"\nforwards = ["8080:10.9.0.5:80"]\n',
    line: 4, column: 13, key: 'network.lan.forwards[0]',
    message: 'is not inside this network\'s subnet',
  },
  {
    name: 'overlapping subnets',
    toml: 'project = "x"\n[network.a]\nsubnet = "10.0.0.1/16"\n[network.b]\nsubnet = "10.0.5.1/24"\n',
    line: 5, column: 10, key: 'network.b.subnet',
    message: 'overlaps the subnet of network "a" (10.0.0.0/16, line 3)',
  },

  // --- capsules ---
  {
    name: 'missing capsule key',
    toml: 'project = "x"\n\n[container.api]\nnetwork = "lan"\n[network.lan]\n',
    line: 3, column: 1, key: 'container.api.capsule',
    message: 'required key is missing; expected the image to run',
  },
  {
    name: 'bad image reference',
    toml: 'project = "x"\n[capsule.a]\ncapsule = "Ubuntu:22.04"\n',
    line: 3, column: 11, key: 'capsule.a.capsule',
    message: 'repository names must be lowercase',
  },
  {
    name: 'port spec without a guest port',
    toml: 'project = "x"\n[capsule.a]\ncapsule = "alpine"\nports = ["8080"]\n',
    line: 4, column: 10, key: 'capsule.a.ports[0]',
    message: '"8080" is not a port mapping; use "host:guest"',
  },
  {
    name: 'port out of range',
    toml: 'project = "x"\n[capsule.a]\ncapsule = "alpine"\nports = ["80:80", "70000:80"]\n',
    line: 4, column: 19, key: 'capsule.a.ports[1]',
    message: 'host port 70000 is out of range',
  },
  {
    name: 'unknown port protocol',
    toml: 'project = "x"\n[capsule.a]\ncapsule = "alpine"\nports = ["80:80/sctp"]\n',
    line: 4, column: 10, key: 'capsule.a.ports[0]',
    message: '"sctp" is not a protocol',
  },
  {
    name: 'host port published twice',
    toml: 'project = "x"\n[capsule.a]\ncapsule = "alpine"\nports = ["8080:80"]\n[capsule.b]\ncapsule = "alpine"\nports = ["8080:8080"]\n',
    line: 7, column: 10, key: 'capsule.b.ports[0]',
    message: 'host port 8080/tcp is already published by capsule "a"',
  },
  {
    name: 'volume with a relative guest path',
    toml: 'project = "x"\n[container.api]\ncapsule = "alpine"\nvolumes = [\n  "./api:/srv/api",\n  "./data:srv/data",\n]\n',
    line: 6, column: 3, key: 'container.api.volumes[1]',
    message: 'the guest path "srv/data" must be absolute',
  },
  {
    name: 'volume with a bad option',
    toml: 'project = "x"\n[container.api]\ncapsule = "alpine"\nvolumes = ["./a:/a:readonly"]\n',
    line: 4, column: 12, key: 'container.api.volumes[0]',
    message: 'use ":ro" or ":rw"',
  },
  {
    name: 'volume from "~"',
    toml: 'project = "x"\n[container.api]\ncapsule = "alpine"\nvolumes = ["~/src:/src"]\n',
    line: 4, column: 12, key: 'container.api.volumes[0]',
    message: 'which Nova does not expand',
  },
  {
    name: 'bad restart policy',
    toml: 'project = "x"\n[capsule.a]\ncapsule = "alpine"\nrestart = "unless-stopped"\n',
    line: 4, column: 11, key: 'capsule.a.restart',
    message: 'use "no", "always", "on-failure" or "on-failure:N"',
  },
  {
    name: 'restart with a zero retry count',
    toml: 'project = "x"\n[capsule.a]\ncapsule = "alpine"\nrestart = "on-failure:0"\n',
    line: 4, column: 11, key: 'capsule.a.restart',
    message: 'retry count must be a whole number from 1',
  },
  {
    name: 'relative workdir',
    toml: 'project = "x"\n[capsule.a]\ncapsule = "alpine"\nworkdir = "app"\n',
    line: 4, column: 11, key: 'capsule.a.workdir',
    message: 'must be absolute',
  },
  {
    name: 'env value that is a number',
    toml: 'project = "x"\n[capsule.a]\ncapsule = "alpine"\nenv.PORT = 8080\n',
    line: 4, column: 12, key: 'capsule.a.env.PORT',
    message: 'quote numbers',
  },
  {
    name: 'env name with a dash',
    toml: 'project = "x"\n[capsule.a]\ncapsule = "alpine"\nenv = { "API-KEY" = "s" }\n',
    line: 4, column: 9, key: 'capsule.a.env.API-KEY',
    message: 'is not an environment variable name',
  },
  {
    name: 'empty command',
    toml: 'project = "x"\n[capsule.a]\ncapsule = "alpine"\ncommand = []\n',
    line: 4, column: 11, key: 'capsule.a.command',
    message: "remove the key to run the image's default command",
  },

  // --- references across tables ---
  {
    name: 'undefined network',
    toml: 'project = "x"\n[vm.a]\nnetwork = "bridge0"\n',
    line: 3, column: 11, key: 'vm.a.network',
    message: 'network "bridge0" is not defined in this file; declare it with a [network.bridge0] table',
  },
  {
    name: 'undefined network close to a defined one',
    toml: 'project = "x"\n[capsule.a]\ncapsule = "alpine"\nnetwork = "nova_net"\n[network.nova-net]\n',
    line: 4, column: 11, key: 'capsule.a.network',
    message: 'did you mean "nova-net"?',
  },
  {
    name: 'same name under container and capsule',
    toml: 'project = "x"\n[container.api]\ncapsule = "alpine"\n[capsule.api]\ncapsule = "alpine"\n',
    line: 4, column: 10, key: 'capsule.api',
    message: 'capsule "api" is already defined as [container.api] at line 2',
  },
  {
    name: 'the same vni twice',
    toml: 'project = "x"\n[network.a]\ntype = "overlay"\nvni = 7\n[network.b]\ntype = "overlay"\nvni = 7\n',
    line: 7, column: 7, key: 'network.b.vni',
    message: 'vni 7 is already used by network "a"',
  },
];

describe('malformed NovaFiles', () => {
  it('has a broad table of cases', () => {
    expect(MALFORMED.length).toBeGreaterThanOrEqual(25);
  });

  it.each(MALFORMED)('$name', ({ toml, line, column, key, message }) => {
    const result = validateNovaFile(toml, 'NovaFile.toml');
    expect(result.valid).toBe(false);
    const match = result.diagnostics.find((d) => d.message.includes(message));
    expect(match, `no diagnostic mentions ${JSON.stringify(message)} in:\n${result.diagnostics.map(formatNovaFileDiagnostic).join('\n')}`).toBeDefined();
    expect(match).toEqual({
      severity: 'error',
      file: 'NovaFile.toml',
      line,
      column,
      ...(key === undefined ? {} : { key }),
      message: expect.stringContaining(message) as unknown,
    });
    expect(parseNovaFile(toml, 'NovaFile.toml').config).toBeNull();
  });
});

describe('diagnostics', () => {
  it('collects every problem in one pass, sorted by position', () => {
    const toml = [
      'project = "dev-lab"', // 1
      '[vm.win11]', // 2
      'cpu = 0', // 3
      'memory = "16Zi"', // 4
      'memroy = "1Gi"', // 5
      'network = "lan2"', // 6
      '[container.api]', // 7
      'ports = ["80"]', // 8
      '[network.lan]', // 9
      'subnet = "10.0.0.255/24"', // 10
    ].join('\n');
    const { diagnostics } = validateNovaFile(toml, 'NovaFile.toml');
    expect(diagnostics.map((d) => [d.line, d.column, d.key])).toEqual([
      [3, 7, 'vm.win11.cpu'],
      [4, 10, 'vm.win11.memory'],
      [5, 1, 'vm.win11.memroy'],
      [6, 11, 'vm.win11.network'],
      [7, 1, 'container.api.capsule'],
      [8, 10, 'container.api.ports[0]'],
      [10, 10, 'network.lan.subnet'],
    ]);
  });

  it('reads like a compiler message', () => {
    const toml = 'project = "x"\n\n[vm.win11]\nimage = "/i.qcow2"\ncpu = 8\n\nmemory = "16Zi"\n';
    const [first] = validateNovaFile(toml, 'NovaFile.toml').diagnostics;
    expect(first && formatNovaFileDiagnostic(first)).toBe(
      'NovaFile.toml:7:10: error: vm.win11.memory: "16Zi" is not a memory size: unit "Zi" is not supported; use Ki, Mi, Gi or Ti (e.g. "16Gi")',
    );
  });

  it('reports a syntax error without a summary', () => {
    const result = validateNovaFile('project = "x', 'a/NovaFile.toml');
    expect(result).toMatchObject({ valid: false, summary: null });
    expect(result.diagnostics).toHaveLength(1);
    expect(result.diagnostics[0]).toMatchObject({ file: 'a/NovaFile.toml', line: 1, column: 11 });
  });

  it('ignores a byte-order mark', () => {
    expect(validateNovaFile('\uFEFFproject = "x"\n', 'NovaFile.toml').diagnostics).toEqual([]);
    expect(validateNovaFile('\uFEFFproject = 5\n', 'NovaFile.toml').diagnostics[0]).toMatchObject({ line: 1, column: 11 });
  });

  it('formats key paths as a user would write them', () => {
    expect(formatKeyPath(['vm', 'win11', 'memory'])).toBe('vm.win11.memory');
    expect(formatKeyPath(['container', 'api', 'volumes', 2])).toBe('container.api.volumes[2]');
    expect(formatKeyPath(['vm', 'a b'])).toBe('vm."a b"');
  });

  it('does not pile a second report on a malformed network name', () => {
    const toml = 'project = "x"\n[vm.a]\nnetwork = "Bridge0"\n';
    const { diagnostics } = validateNovaFile(toml, 'NovaFile.toml');
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]?.message).toContain('write it in lowercase');
  });
});

describe('normalization', () => {
  const vmMemory = (memory: string) => {
    const { config, diagnostics } = parseNovaFile(`project = "x"\n[vm.a]\nmemory = ${memory}\n`, 'NovaFile.toml');
    expect(diagnostics).toEqual([]);
    return config?.vms[0]?.memoryMiB;
  };

  it.each([
    ['"16Gi"', 16384],
    ['"512Mi"', 512],
    ['"2G"', 2048],
    ['"1.5Gi"', 1536],
    ['"4GiB"', 4096],
    ['"1Ti"', 1048576],
    ['"32768Ki"', 32],
    ['"8g"', 8192],
    ['"2048"', 2048],
    ['768', 768],
  ])('memory = %s is %d MiB', (memory, mib) => {
    expect(vmMemory(memory)).toBe(mib);
  });

  it('resolves relative paths from the NovaFile folder', () => {
    const toml = [
      'project = "x"',
      '[vm.a]',
      'kernel = "./boot/vmlinux"',
      'initrd = "../shared/initrd.img"',
      'image = "/var/lib/nova/a.qcow2"',
      'iso = "isos/debian.iso"',
      '[capsule.b]',
      'capsule = "alpine:3.20"',
      'volumes = ["data:/data:ro", "/etc/hosts:/etc/hosts"]',
    ].join('\n');
    const { config } = parseNovaFile(toml, 'NovaFile.toml', '/home/dev/proj');
    expect(config?.vms[0]).toMatchObject({
      kernel: '/home/dev/proj/boot/vmlinux',
      initrd: '/home/dev/shared/initrd.img',
      image: '/var/lib/nova/a.qcow2',
      iso: '/home/dev/proj/isos/debian.iso',
    });
    expect(config?.capsules[0]?.volumes).toEqual([
      { source: '/home/dev/proj/data', target: '/data', readOnly: true },
      { source: '/etc/hosts', target: '/etc/hosts', readOnly: false },
    ]);
  });

  it('defaults the base folder to the file name\'s folder', () => {
    const { config } = parseNovaFile('project = "x"\n[vm.a]\nkernel = "k"\n', '/srv/proj/NovaFile.toml');
    expect(config?.baseDir).toBe('/srv/proj');
    expect(config?.vms[0]?.kernel).toBe('/srv/proj/k');
  });

  it('parses capsule and network mini-syntaxes', () => {
    const toml = [
      'project = "x"',
      '[capsule.web]',
      'capsule = "registry.example:5000/ns/img@sha256:' + 'a'.repeat(64) + '"',
      'ports = ["8080:80", "5353:53/udp"]',
      'restart = "on-failure:5"',
      'cpu = 0.25',
      'memory = 64',
      'network = "lan"',
      '[network.lan]',
      'subnet = "10.203.0.1/24"',
      'dhcp_range = "10.203.0.100-10.203.0.199"',
      'forwards = ["2222:10.203.0.10:22", "5354:10.203.0.53:53/udp"]',
      'egress_allow = ["10.0.0.0/8:443/tcp", "53/udp", "1.1.1.1", "8000-8100"]',
      'interfaces = ["wlp2s0"]',
      'profile = "nat"',
    ].join('\n');
    const { config, diagnostics } = parseNovaFile(toml, 'NovaFile.toml', '/p');
    expect(diagnostics).toEqual([]);
    expect(config?.capsules[0]).toMatchObject({
      image: { registry: 'registry.example:5000', repository: 'ns/img', tag: null, digest: `sha256:${'a'.repeat(64)}` },
      ports: [
        { hostPort: 8080, guestPort: 80, protocol: 'tcp' },
        { hostPort: 5353, guestPort: 53, protocol: 'udp' },
      ],
      restart: { mode: 'on-failure', maxRetries: 5 },
      cpu: 0.25,
      memoryMiB: 64,
    });
    expect(config?.networks[0]).toEqual({
      name: 'lan',
      type: 'bridge',
      profile: 'nat',
      subnet: { cidr: '10.203.0.0/24', gateway: '10.203.0.1', prefix: 24, family: 4 },
      dhcpRange: { start: '10.203.0.100', end: '10.203.0.199' },
      interfaces: ['wlp2s0'],
      peers: [],
      forwards: [
        { hostPort: 2222, guestAddress: '10.203.0.10', guestPort: 22, protocol: 'tcp' },
        { hostPort: 5354, guestAddress: '10.203.0.53', guestPort: 53, protocol: 'udp' },
      ],
      egressAllow: [
        { destination: '10.0.0.0/8', ports: { from: 443, to: 443 }, protocol: 'tcp' },
        { destination: null, ports: { from: 53, to: 53 }, protocol: 'udp' },
        { destination: '1.1.1.1/32', ports: null, protocol: null },
        { destination: null, ports: { from: 8000, to: 8100 }, protocol: null },
      ],
    });
  });

  it('derives network profiles and merges [container] with [capsule]', () => {
    const toml = [
      'project = "x"',
      '[network.up]',
      'interfaces = ["enp6s0"]',
      '[network.nat]',
      'subnet = "192.168.220.1/24"',
      '[network.ov]',
      'type = "overlay"',
      'vni = 100',
      'peers = ["192.0.2.10", "peer.lan:4789", "[fd00::2]:4789"]',
      '[container.a]',
      'capsule = "alpine"',
      '[capsule.b]',
      'capsule = "alpine"',
    ].join('\n');
    const { config, diagnostics } = parseNovaFile(toml, 'NovaFile.toml');
    expect(diagnostics).toEqual([]);
    expect(config?.networks.map((n) => [n.name, n.type, n.profile])).toEqual([
      ['up', 'bridge', 'external'],
      ['nat', 'bridge', 'nat'],
      ['ov', 'overlay', 'internal'],
    ]);
    expect(config?.networks[2]?.peers).toEqual([
      { host: '192.0.2.10', port: null },
      { host: 'peer.lan', port: 4789 },
      { host: 'fd00::2', port: 4789 },
    ]);
    expect(config?.capsules.map((c) => c.name)).toEqual(['a', 'b']);
  });

  it('normalizes GPU passthrough', () => {
    const gpu = (value: string) =>
      parseNovaFile(`project = "x"\n[vm.a]\ngpu_passthrough = ${value}\n`, 'NovaFile.toml').config?.vms[0]?.gpuPassthrough;
    expect(gpu('false')).toEqual({ kind: 'off' });
    expect(gpu('true')).toEqual({ kind: 'auto' });
    expect(gpu('"01:00.0"')).toEqual({ kind: 'devices', addresses: ['0000:01:00.0'] });
    expect(gpu('["0000:0A:00.0", "0000:0a:00.1"]')).toEqual({ kind: 'devices', addresses: ['0000:0a:00.0', '0000:0a:00.1'] });
    expect(parseNovaFile('project = "x"\n[vm.a]\n', 'NovaFile.toml').config?.vms[0]?.gpuPassthrough).toEqual({ kind: 'off' });
  });

  it('keeps cloud-init settings', () => {
    const toml = [
      'project = "x"',
      '[vm.a]',
      'image = "a.qcow2"',
      '[vm.a.cloud_init]',
      'user = "dev"',
      'hostname = "Web-1"',
      'ssh_authorized_keys = ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB0 dev@laptop"]',
    ].join('\n');
    const { config, diagnostics } = parseNovaFile(toml, 'NovaFile.toml');
    expect(diagnostics).toEqual([]);
    expect(config?.vms[0]?.cloudInit).toEqual({
      user: 'dev',
      hostname: 'web-1',
      sshAuthorizedKeys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB0 dev@laptop'],
    });
  });
});

describe('loadNovaFile', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'nova-novafile-'));
    await mkdir(path.join(dir, 'proj'));
    await writeFile(path.join(dir, 'proj', 'NovaFile.toml'), DEV_LAB);
    await writeFile(path.join(dir, 'bad.toml'), 'project = "x"\n[vm.a]\ncpu = 0\n');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads a file and resolves paths from its folder', async () => {
    const file = path.join(dir, 'proj', 'NovaFile.toml');
    const result = await loadNovaFile(file);
    expect(result.valid).toBe(true);
    expect(result.config?.capsules[0]?.volumes[0]?.source).toBe(path.join(dir, 'proj', 'api'));
  });

  it('takes a folder to mean the NovaFile.toml in it', async () => {
    const result = await loadNovaFile(path.join(dir, 'proj'));
    expect(result.summary?.project).toBe('dev-lab');
  });

  it('reports problems with the path it was given', async () => {
    const file = path.join(dir, 'bad.toml');
    const result = await loadNovaFile(file);
    expect(result.valid).toBe(false);
    expect(result.diagnostics[0]).toMatchObject({ file, line: 3, column: 7, key: 'vm.a.cpu' });
  });

  it('makes a missing file a clear not_found error', async () => {
    const missing = path.join(dir, 'nope', 'NovaFile.toml');
    const error: unknown = await loadNovaFile(missing).catch((e: unknown) => e);
    expect(isNovaError(error, 'not_found')).toBe(true);
    expect((error as Error).message).toContain(`${missing}: no such file`);
    const emptyDir: unknown = await loadNovaFile(dir).catch((e: unknown) => e);
    expect(isNovaError(emptyDir, 'not_found')).toBe(true);
  });
});
