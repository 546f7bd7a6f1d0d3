// The tiny Linux guest made from Debian packages: the kernel linux-image-amd64 points
// at (also as an uncompressed PVH vmlinux, which boots ~3x faster under TCG) and busybox
// initramfs variants whose /init prints a ready line and runs a shell on the serial
// console (one with virtio-net, one with virtiofs for shared folders). The demo project
// (project-assets.ts) and the system tests' guests share it.
import { chmod, copyFile, mkdir, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { execa } from 'execa';

export const GUEST_CMDLINE = 'console=ttyS0 panic=-1 reboot=t loglevel=4';

export interface InitramfsVariant {
  /** File name inside the output folder, e.g. "initramfs-net.cpio". */
  file: string;
  /** Printed on the console once the guest is up. */
  readyLine: string;
  prompt: string;
  /** acpid: the ACPI power button prints `poweroffLine` and powers the guest off. */
  acpi: boolean;
  /** virtio-net and a background DHCP client on each NIC that prints "`leaseLine` ADDRESS IFNAME". */
  net: boolean;
  /** The virtiofs module (and fuse, and the virtio core it needs): `mount -t virtiofs TAG DIR` works. */
  virtiofs?: boolean;
  poweroffLine: string;
  leaseLine: string;
}

/** The ABI version linux-image-amd64 currently points at, e.g. "6.1.0-56". */
export async function debianKernelVersion(): Promise<string> {
  const { stdout } = await execa('apt-cache', ['depends', 'linux-image-amd64'], { timeout: 30_000 });
  const m = /Depends:\s+linux-image-(\d[\w.-]*)-amd64\b/.exec(stdout);
  if (!m?.[1]) throw new Error(`cannot find the kernel version in: ${stdout}`);
  return m[1];
}

/** Writes vmlinuz, vmlinux and every variant into `out` (which must exist); downloads into a scratch folder there. */
export async function buildGuestInto(out: string, kernelVersion: string, variants: readonly InitramfsVariant[]): Promise<void> {
  const work = join(out, 'work');
  await mkdir(work);
  const pkg = `linux-image-${kernelVersion}-amd64`;
  await execa('apt-get', ['download', pkg], { cwd: work, timeout: 240_000 });
  const debs = (await readdir(work)).filter((f) => f.endsWith('.deb'));
  if (debs.length !== 1) throw new Error(`apt-get download ${pkg} gave ${debs.join(', ') || 'nothing'}`);
  const tree = join(work, 'tree');
  await execa('dpkg-deb', ['-x', join(work, debs[0]!), tree], { timeout: 120_000 });
  const kver = `${kernelVersion}-amd64`;
  await copyFile(join(tree, 'boot', `vmlinuz-${kver}`), join(out, 'vmlinuz'));
  await writeFile(join(out, 'vmlinux'), await extractVmlinux(await readFile(join(out, 'vmlinuz'))));
  const kernel = join(tree, 'lib/modules', kver, 'kernel');
  const acpi = ['drivers/acpi/button.ko', 'drivers/input/evdev.ko'].map((m) => join(kernel, m));
  // In load order: insmod resolves no dependencies.
  const virtio = ['drivers/virtio/virtio_ring.ko', 'drivers/virtio/virtio.ko', 'drivers/virtio/virtio_pci_legacy_dev.ko', 'drivers/virtio/virtio_pci_modern_dev.ko', 'drivers/virtio/virtio_pci.ko'];
  const net = ['net/core/failover.ko', 'drivers/net/net_failover.ko', 'drivers/net/virtio_net.ko'];
  const virtiofs = ['fs/fuse/fuse.ko', 'fs/fuse/virtiofs.ko'];
  for (const v of variants) {
    const extra = v.net || v.virtiofs ? [...virtio, ...(v.net ? net : []), ...(v.virtiofs ? virtiofs : [])] : [];
    const modules = [...(v.acpi ? acpi : []), ...extra.map((m) => join(kernel, m))];
    await buildInitramfs(join(out, v.file), join(work, `root-${v.file}`), v, modules);
  }
  await rm(work, { recursive: true, force: true });
}

const COMPRESSIONS: Array<{ magic: Buffer; argv: [string, ...string[]] }> = [
  { magic: Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), argv: ['xz', '-dc', '--single-stream'] },
  { magic: Buffer.from([0x1f, 0x8b, 0x08]), argv: ['gzip', '-dc'] },
  { magic: Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), argv: ['zstd', '-dc'] },
  { magic: Buffer.from([0x02, 0x21, 0x4c, 0x18]), argv: ['lz4', '-dc'] },
];
const ELF_MAGIC = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);

/**
 * The kernel's scripts/extract-vmlinux approach: try every offset where a known
 * compression magic appears, decompress from there, and keep the first output that
 * is an ELF file. Decompressors complain about the trailing bytes; the output counts.
 */
export async function extractVmlinux(bzImage: Buffer): Promise<Buffer> {
  for (const { magic, argv } of COMPRESSIONS) {
    for (let at = bzImage.indexOf(magic); at !== -1; at = bzImage.indexOf(magic, at + 1)) {
      const [file, ...args] = argv;
      const r = await execa(file, args, {
        input: bzImage.subarray(at),
        encoding: 'buffer',
        reject: false,
        timeout: 60_000,
        maxBuffer: 512 * 1024 * 1024,
      });
      const out = Buffer.from(r.stdout);
      if (out.length > 1024 * 1024 && out.subarray(0, 4).equals(ELF_MAGIC)) return out;
    }
  }
  throw new Error('no compressed ELF payload found in the bzImage');
}

function initScript(v: InitramfsVariant): string {
  return `#!/bin/busybox sh
/bin/busybox --install -s
mount -t devtmpfs devtmpfs /dev
exec 0</dev/console 1>/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mkdir -p /tmp /var/run /var/log
${v.acpi ? 'insmod /lib/modules/button.ko\ninsmod /lib/modules/evdev.ko\nacpid -c /etc/acpi -l /var/log/acpid.log\n' : ''}${v.net || v.virtiofs ? LOAD_MODULES : ''}${v.net ? NET_SETUP : ''}echo ${v.readyLine}
export PS1='${v.prompt}'
while true; do setsid cttyhack sh; done
`;
}

// Modules listed in /etc/modules load in order (insmod resolves no dependencies).
const LOAD_MODULES = `for m in $(cat /etc/modules); do insmod /lib/modules/$m; done
`;

// udhcpc keeps asking in the background on every NIC (eth0, eth1, ...), so boot never waits on DHCP.
const NET_SETUP = `ip link set lo up
for n in /sys/class/net/eth*; do [ -e "$n" ] || continue; i=\${n##*/}; ip link set "$i" up; udhcpc -i "$i" -f -t 5 -T 1 -A 1 -s /etc/udhcpc.script >/dev/null 2>&1 & done
`;

// udhcpc runs this with the lease in its environment ($mask is the prefix length).
const udhcpcScript = (leaseLine: string) => `#!/bin/sh
case "$1" in
  deconfig) ip addr flush dev "$interface"; ip link set "$interface" up ;;
  bound|renew)
    ip addr flush dev "$interface"
    ip addr add "$ip/$mask" dev "$interface"
    if [ -n "$router" ]; then ip route replace default via "\${router%% *}" dev "$interface"; fi
    : > /etc/resolv.conf
    for d in $dns; do echo "nameserver $d" >> /etc/resolv.conf; done
    if [ -n "$domain" ]; then echo "search $domain" >> /etc/resolv.conf; fi
    echo "${leaseLine} $ip $interface" > /dev/console
    ;;
esac
exit 0
`;

const powerButtonHandler = (poweroffLine: string) => `#!/bin/sh
echo ${poweroffLine} > /dev/console
sync
poweroff -f
`;

async function buildInitramfs(target: string, root: string, v: InitramfsVariant, modules: readonly string[]): Promise<void> {
  for (const d of ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'dev', 'proc', 'sys', 'tmp', 'etc', 'lib/modules']) {
    await mkdir(join(root, d), { recursive: true });
  }
  await copyFile('/bin/busybox', join(root, 'bin/busybox'));
  await chmod(join(root, 'bin/busybox'), 0o755);
  await symlink('busybox', join(root, 'bin/sh'));
  await writeFile(join(root, 'init'), initScript(v), { mode: 0o755 });
  if (v.net) await writeFile(join(root, 'etc/udhcpc.script'), udhcpcScript(v.leaseLine), { mode: 0o755 });
  if (v.net || v.virtiofs) {
    const loaded = modules.filter((m) => !/\/(button|evdev)\.ko$/.test(m)).map((m) => m.split('/').pop()!);
    await writeFile(join(root, 'etc/modules'), loaded.join('\n') + '\n');
  }
  if (v.acpi) {
    // busybox acpid maps the power key to "PWRF/00000080" and runs that file under -c DIR.
    await mkdir(join(root, 'etc/acpi/PWRF'), { recursive: true });
    await writeFile(join(root, 'etc/acpi/PWRF/00000080'), powerButtonHandler(v.poweroffLine), { mode: 0o755 });
  }
  for (const m of modules) await copyFile(m, join(root, 'lib/modules', m.split('/').pop()!));
  const files = ['.', ...(await walk(root)).map((p) => relative(root, p))];
  await execa('cpio', ['-o', '-H', 'newc', '-R', '0:0', '--quiet'], {
    cwd: root,
    input: files.join('\n') + '\n',
    stdout: { file: target },
    timeout: 60_000,
  });
}

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    out.push(p);
    if (entry.isDirectory()) out.push(...(await walk(p)));
  }
  return out;
}
