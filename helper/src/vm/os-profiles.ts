// OS profiles from osinfo-db, as virt-manager and GNOME Boxes use it: `osinfo-detect` names
// the OS on an installer ISO, and the database's own XML (/usr/share/osinfo/os/*/*.xml)
// gives each OS's minimum and recommended CPUs, memory and disk, which `osinfo-query`
// does not print. The index is read once, on first use. Nova's `windows11` is osinfo's
// `win11` with the platform vm-platform.ts gives it.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NovaError } from '../../../src-shared/errors.js';
import type { OsProfile } from '../../../src-shared/vm.js';
import { osinfoIdOf, WINDOWS_11 } from '../../../src-shared/vm-platform.js';
import type { ProcessRunner } from '../process/process-runner.js';

const MIB = 1024 * 1024;

interface Resources {
  cpus?: number;
  memoryMiB?: number;
  diskMiB?: number;
}

/** One <os> of the database, as far as Nova reads it. */
export interface OsEntry {
  id: string;
  shortIds: string[];
  name: string;
  family: string | null;
  derivesFrom: string | null;
  minimum: Resources;
  recommended: Resources;
}

const tag = (xml: string, name: string): string | null => new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1]?.trim() ?? null;

function resources(block: string | undefined): Resources {
  if (!block) return {};
  const num = (name: string) => {
    const v = tag(block, name);
    return v === null ? undefined : Number(v);
  };
  const out: Resources = {};
  const cpus = num('n-cpus');
  const ram = num('ram');
  const storage = num('storage');
  if (cpus !== undefined && cpus > 0) out.cpus = cpus;
  if (ram !== undefined && ram > 0) out.memoryMiB = Math.ceil(ram / MIB);
  if (storage !== undefined && storage > 0) out.diskMiB = Math.ceil(storage / MIB);
  return out;
}

/** The parts of one database file Nova uses; null when it holds no <os>. Resources for x86_64 (or all arches) only. */
export function parseOsXml(xml: string): OsEntry | null {
  const id = /<os id="([^"]+)"/.exec(xml)?.[1];
  if (!id) return null;
  const shortIds = [...xml.matchAll(/<short-id>([^<]+)<\/short-id>/g)].map((m) => m[1]!.trim());
  // The OS's own name comes before any variant's or media's.
  const name = tag(xml, 'name') ?? shortIds[0] ?? id;
  const res = [...xml.matchAll(/<resources arch="(x86_64|all)">([\s\S]*?)<\/resources>/g)].map((m) => m[2]!);
  const pick = (kind: 'minimum' | 'recommended') => {
    for (const r of res) {
      const block = new RegExp(`<${kind}>([\\s\\S]*?)</${kind}>`).exec(r)?.[1];
      if (block) return resources(block);
    }
    return {};
  };
  return { id, shortIds, name, family: tag(xml, 'family'), derivesFrom: /<derives-from id="([^"]+)"/.exec(xml)?.[1] ?? null, minimum: pick('minimum'), recommended: pick('recommended') };
}

function osTypeOf(family: string | null): OsProfile['osType'] {
  if (family === 'winnt' || family === 'win9x' || family === 'win16') return 'windows';
  if (family === 'linux') return 'linux';
  return 'other';
}

export class OsProfiles {
  private index: Promise<Map<string, OsEntry>> | null = null;

  constructor(
    private readonly runner: ProcessRunner,
    private readonly dbDir = '/usr/share/osinfo',
  ) {}

  /** The profile of an OS id (Nova's `windows11` or an osinfo short id); refused, naming it, when osinfo does not know it. */
  async profile(os: string): Promise<OsProfile> {
    const all = await this.load();
    const entry = [...all.values()].find((e) => e.shortIds.includes(osinfoIdOf(os)));
    if (!entry) {
      throw new NovaError('invalid_argument', `osinfo does not know the OS "${os}": use "windows11", or an id that \`osinfo-query os\` lists (such as "debian11", "win10", "fedora37"); a newer osinfo-db package knows newer systems`, { os });
    }
    return this.profileOf(entry, os, all);
  }

  /**
   * What `osinfo-detect` makes of an installer ISO, read from the descriptor the helper
   * opened (its stdin): the OS and its resources, or null when the ISO is not one osinfo knows.
   */
  async detect(fd: number, signal?: AbortSignal): Promise<OsProfile | null> {
    const res = await this.runner.run({ argv: ['osinfo-detect', '--format=plain', '/dev/stdin'], stdinFd: fd, timeoutMs: 30_000, ...(signal ? { signal } : {}) });
    const name = /installer for OS '(.+)'/.exec(res.stdout)?.[1] ?? /Media is live media for OS '(.+)'/.exec(res.stdout)?.[1];
    if (!name) return null;
    const all = await this.load();
    // osinfo-detect adds the media's architecture to the OS's name: "Microsoft Windows 11 (x86_64)".
    const bare = name.replace(/ \([a-z0-9_]+\)$/, '');
    const entry = [...all.values()].find((e) => e.name === bare);
    if (!entry) return null;
    const win11 = entry.shortIds.includes(WINDOWS_11.osinfoId);
    return this.profileOf(entry, win11 ? WINDOWS_11.id : (entry.shortIds[0] ?? entry.id), all);
  }

  private profileOf(entry: OsEntry, os: string, all: Map<string, OsEntry>): OsProfile {
    // An OS that names no resources inherits those of the one it derives from (Debian 11 from 10).
    const inherited = (pick: (e: OsEntry) => Resources): Resources => {
      let e: OsEntry | undefined = entry;
      const out: Resources = {};
      for (let depth = 0; e && depth < 8; depth++, e = e.derivesFrom ? all.get(e.derivesFrom) : undefined) {
        const r = pick(e);
        out.cpus ??= r.cpus;
        out.memoryMiB ??= r.memoryMiB;
        out.diskMiB ??= r.diskMiB;
      }
      return out;
    };
    const min = inherited((e) => e.minimum);
    const rec = inherited((e) => e.recommended);
    const win11 = os === WINDOWS_11.id;
    // Recommended where osinfo has it, else the minimum; Windows 11's floor is Microsoft's, whatever the database says.
    const pickNum = (r?: number, m?: number, floor = 0) => Math.max(r ?? m ?? floor, floor);
    return {
      os,
      name: entry.name,
      osType: osTypeOf(entry.family),
      cpus: pickNum(rec.cpus, min.cpus, win11 ? WINDOWS_11.cpus : 1),
      memoryMiB: pickNum(rec.memoryMiB, min.memoryMiB, win11 ? WINDOWS_11.memoryMiB : 0) || 1024,
      diskMiB: pickNum(rec.diskMiB, min.diskMiB, win11 ? WINDOWS_11.diskMiB : 0) || 10 * 1024,
      minimum: { cpus: min.cpus ?? 1, memoryMiB: min.memoryMiB ?? 0, diskMiB: min.diskMiB ?? 0 },
    };
  }

  private load(): Promise<Map<string, OsEntry>> {
    this.index ??= this.read().catch((err: unknown) => {
      this.index = null;
      throw err;
    });
    return this.index;
  }

  private async read(): Promise<Map<string, OsEntry>> {
    const root = join(this.dbDir, 'os');
    const vendors = await readdir(root).catch(() => {
      throw new NovaError('unavailable', `the OS database is missing (${root}): install the osinfo-db package`);
    });
    const out = new Map<string, OsEntry>();
    for (const vendor of vendors) {
      const files = await readdir(join(root, vendor)).catch(() => [] as string[]);
      for (const f of files.filter((n) => n.endsWith('.xml'))) {
        const entry = parseOsXml(await readFile(join(root, vendor, f), 'utf8'));
        if (entry) out.set(entry.id, entry);
      }
    }
    return out;
  }
}
