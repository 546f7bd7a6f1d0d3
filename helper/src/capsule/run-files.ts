// The files a capsule run reads: runc's config.json (from the spec, the image config and
// where the run sits: its network namespace, user namespace, volumes) and the /etc files
// bound into it (hosts, hostname, resolv.conf). Each is written only when it differs from
// what Nova last left there, so a restart of an unchanged capsule writes nothing.
import { chown, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CapsuleSpec, OciImage } from '../../../src-shared/capsule.js';
import { NovaError } from '../../../src-shared/errors.js';
import type { CapsuleLayout } from './capsule-layout.js';
import type { CapsuleAttachment } from './capsule-network.js';
import type { CapsuleNamespaces } from './capsule-netns.js';
import type { ImageStore } from './image-store.js';
import { CDI_SPEC_DIRS } from '../devices/cdi-specs.js';
import { resolveCapsuleGpus } from '../devices/gpu-nodes.js';
import { buildOciConfig, type IdMapping, type OciConfigInput } from './oci-config.js';
import { readConfined } from '../safe-fs/confined-open.js';

/**
 * What Nova itself left in a capsule's dir for its next run: runc's config.json, the /etc
 * files (null once a run had them: it may have changed them, they are bound read-write) and
 * whether run/ is still empty. Unknown after a helper restart: then all of it is rewritten.
 */
export interface PreparedRun {
  config: string | null;
  etc: string | null;
  runDirEmpty: boolean;
}

export function hostsFile(hostname: string, net: CapsuleAttachment | null): string {
  const own = net ? `${net.address.split('/')[0]}\t${net.hostname} ${hostname}` : `127.0.1.1\t${hostname}`;
  return `127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n${own}\n`;
}

export function resolvConf(net: CapsuleAttachment | null): string {
  if (!net) return '# this capsule has no network: it is not attached to a Nova network\n';
  if (!net.dns) return `# network ${net.network} serves no DNS\n`;
  return `nameserver ${net.dns.server}\nsearch ${net.dns.domain}\n`;
}

/** Beyond this an image's /etc/passwd or /etc/group is refused rather than read. */
export const MAX_ACCOUNT_FILE_BYTES = 1024 * 1024;

/**
 * One of the image's account files (etc/passwd, etc/group), read inside the image: no link
 * followed (one to the host's /etc/passwd would hand the capsule host ids; one to a FIFO would
 * hold a thread of the helper forever), a regular file only, opened without blocking, bounded.
 */
async function imageAccountFile(rootfs: string, file: 'passwd' | 'group'): Promise<string> {
  const text = await readConfined(rootfs, join(rootfs, 'etc', file), MAX_ACCOUNT_FILE_BYTES, `the image's /etc/${file}`);
  return text ?? '';
}

/** `uid[:gid]` numbers as given; names looked up in the image's /etc/passwd and /etc/group. */
export async function resolveUser(user: string, rootfs: string): Promise<{ uid: number; gid: number }> {
  if (!user) return { uid: 0, gid: 0 };
  const [u, g] = user.split(':') as [string, string | undefined];
  const numeric = (s: string) => /^\d+$/.test(s);
  let uid: number;
  let gid: number | undefined;
  if (numeric(u)) {
    uid = Number(u);
  } else {
    const passwd = await imageAccountFile(rootfs, 'passwd');
    const line = passwd.split('\n').find((l) => l.split(':')[0] === u);
    if (!line) throw new NovaError('invalid_argument', `User "${u}" is not in the image's /etc/passwd`);
    const f = line.split(':');
    uid = Number(f[2]);
    gid = Number(f[3]);
  }
  if (g !== undefined) {
    if (numeric(g)) gid = Number(g);
    else {
      const groups = await imageAccountFile(rootfs, 'group');
      const line = groups.split('\n').find((l) => l.split(':')[0] === g);
      if (!line) throw new NovaError('invalid_argument', `Group "${g}" is not in the image's /etc/group`);
      gid = Number(line.split(':')[2]);
    }
  }
  if (!Number.isInteger(uid) || !Number.isInteger(gid ?? 0)) throw new NovaError('invalid_argument', `User "${user}" has no numeric ids in the image's /etc/passwd or /etc/group`);
  return { uid, gid: gid ?? 0 };
}

export interface RunFilesOptions {
  layout: CapsuleLayout;
  images: ImageStore;
  namespaces: () => CapsuleNamespaces;
  netnsDir: string;
  /** The host's /dev, where a capsule's GPU nodes are found (a test's own tree in tests). */
  devRoot?: string;
  /** Where CDI specs are read (cdi-specs.ts's standard folders; a test's own in tests). */
  cdiDirs?: readonly string[];
}

export class RunFiles {
  constructor(private readonly o: RunFilesOptions) {}

  /** What buildOciConfig needs for a run; `etcDir` null leaves the /etc files out (a network's come at start). */
  async configInput(spec: CapsuleSpec, image: OciImage, etcDir: string | null, joinsNetns: boolean, idMapping: IdMapping | null): Promise<OciConfigInput> {
    const netns = this.o.layout.netnsName(spec.name);
    return {
      spec,
      image: image.config,
      rootfsPath: 'rootfs',
      cgroupsPath: this.o.layout.cgroupsPath(spec.name),
      netnsPath: joinsNetns ? join(this.o.netnsDir, netns) : null,
      idMapping,
      usernsPath: joinsNetns && idMapping ? this.o.namespaces().usernsPath(netns) : null,
      // Where volume-staging.ts binds each volume for the run: a path only the helper can change.
      volumes: spec.volumes.map((v, i) => ({ source: this.o.layout.volumePoint(spec.name, i), target: v.target, readOnly: v.readOnly })),
      user: await resolveUser(spec.user ?? image.config.user, this.o.images.rootfsPath(image.id)),
      etcFiles: etcDir ? { hosts: join(etcDir, 'hosts'), hostname: join(etcDir, 'hostname'), resolvConf: join(etcDir, 'resolv.conf') } : null,
      ...(spec.gpus ? await this.gpus(spec.gpus) : {}),
    };
  }

  private async gpus(gpus: NonNullable<CapsuleSpec['gpus']>): Promise<Pick<OciConfigInput, 'devices' | 'cdi'>> {
    const grant = await resolveCapsuleGpus({ devRoot: this.o.devRoot ?? '/dev', cdiDirs: this.o.cdiDirs ?? CDI_SPEC_DIRS }, gpus);
    return { devices: grant.nodes, cdi: grant.cdi };
  }

  /**
   * Writes what a run reads into `dir` (the capsule's dir, or the one create is making), each
   * file only when it differs from `previous`. Not fsynced: only the coming run reads them,
   * and a restarted helper, which knows no `previous`, writes them again.
   */
  async write(dir: string, input: OciConfigInput, net: CapsuleAttachment | null, previous: PreparedRun | null): Promise<{ config: string; etc: string }> {
    const hostname = input.spec.hostname ?? input.spec.name.replace(/_/g, '-');
    const etcFiles: [string, string][] = [
      ['hosts', hostsFile(hostname, net)],
      ['hostname', `${hostname}\n`],
      ['resolv.conf', resolvConf(net)],
    ];
    const etc = etcFiles.map(([, text]) => text).join('\0');
    const config = JSON.stringify(buildOciConfig(input), null, 2) + '\n';
    const idMapping = input.idMapping;
    const writes: Promise<void>[] = [];
    if (previous?.etc !== etc) {
      for (const [f, text] of etcFiles) {
        const file = join(dir, 'etc', f);
        writes.push(writeFile(file, text).then(() => (idMapping ? chown(file, idMapping.hostId, idMapping.hostId) : undefined)));
      }
    }
    if (previous?.config !== config) writes.push(writeFile(join(dir, 'bundle', 'config.json'), config, { mode: 0o600 }));
    await Promise.all(writes);
    return { config, etc };
  }
}
