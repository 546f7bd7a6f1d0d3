// "Write this back to the NovaFile": a change made to a project's resource outside the file
// (the GUI's settings, `nova capsule set`) becomes the file's value, so the next `nova up`
// keeps it instead of reverting it. The plan's field changes say which keys differ; the
// resource as `nova export` would write it (export-tables.ts) gives their values; only
// those keys of the resource's table are edited (toml-table-edit.ts), the rest of the file
// stays byte for byte. The caller re-plans the result and refuses it unless it plans to no
// change for the resource.
import { stringify } from 'smol-toml';
import type { ProjectResourceKind, ResourceChange } from '../../../src-shared/project.js';
import type { Table } from './export-tables.js';
import { editTomlTable, tomlKey, type KeyEdit } from './toml-table-edit.js';

/** Plan field -> the NovaFile key holding it, per kind; a field missing here cannot be written back. */
const KEYS: Record<ProjectResourceKind, Record<string, string>> = {
  capsule: { image: 'capsule', command: 'command', env: 'env', volumes: 'volumes', network: 'network', ports: 'ports', cpus: 'cpu', memory: 'memory', pids: 'pids', restart: 'restart', workdir: 'workdir', user: 'user' },
  vm: { cpus: 'cpu', memory: 'memory', accel: 'accel', machine: 'machine', firmware: 'firmware', kernel: 'kernel', initrd: 'initrd', cmdline: 'cmdline', iso: 'iso', network: 'network', nics: 'networks', display: 'display' },
  network: {
    type: 'type',
    profile: 'profile',
    subnet: 'subnet',
    dhcp_range: 'dhcp_range',
    interfaces: 'interfaces',
    dns: 'dns',
    driver: 'driver',
    vni: 'vni',
    listen_port: 'listen_port',
    egress_allow: 'egress_allow',
    peers: 'peers',
    forwards: 'forwards',
  },
};

/** Why a field the plan shows is not written, for the fields that have no plain key. */
const NOT_WRITTEN: Record<string, string> = {
  state: 'whether a guest runs is not a NovaFile key: the next nova up starts it',
  status: "a network's kernel state is not a NovaFile key: the next nova up repairs it",
  health: 'a health check is a table of its own: edit it in the file by hand',
  cloud_init: 'cloud-init settings hold secrets the helper keeps only hashed: edit them in the file by hand',
  domain: "a network's domain comes from the project's domain key: edit it in the file by hand",
};

export interface WrittenKey {
  field: string;
  key: string;
  /** The value as written into the file (TOML), null when the key was removed. */
  value: string | null;
}

export interface WriteBackText {
  text: string;
  written: WrittenKey[];
  skipped: { field: string; reason: string }[];
}

/** A value as inline TOML: strings quoted as TOML quotes them, tables inline. */
export function inlineToml(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(inlineToml).join(', ')}]`;
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>);
    return entries.length === 0 ? '{}' : `{ ${entries.map(([k, x]) => `${tomlKey(k)} = ${inlineToml(x)}`).join(', ')} }`;
  }
  if (typeof v === 'string') return stringify({ v }).trim().slice('v = '.length);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new TypeError(`no TOML form for ${typeof v}`);
}

/** The table headers a resource may have in a NovaFile (a capsule also as [container.NAME]). */
export function tableHeaders(kind: ProjectResourceKind, name: string): string[][] {
  return kind === 'capsule' ? [['capsule', name], ['container', name]] : [[kind, name]];
}

/** `text` with the keys behind `change`'s fields set to the resource's `exported` values. */
export function writeBackText(text: string, change: ResourceChange, exported: Table): WriteBackText {
  const written: WrittenKey[] = [];
  const skipped: WriteBackText['skipped'] = [];
  for (const f of change.fields) {
    const key = KEYS[change.kind][f.field];
    if (!key) {
      skipped.push({ field: f.field, reason: NOT_WRITTEN[f.field] ?? 'the NovaFile has no key for it' });
      continue;
    }
    const value = exported[key];
    written.push({ field: f.field, key, value: value === undefined ? null : inlineToml(value) });
  }
  if (written.length === 0) return { text, written, skipped };
  const edits: KeyEdit[] = written.map((w) => ({ key: w.key, value: w.value }));
  return { text: editTomlTable(text, tableHeaders(change.kind, change.name), edits), written, skipped };
}
