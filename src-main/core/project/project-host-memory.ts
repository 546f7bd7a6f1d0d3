// The other hosts a project was last applied on, per NovaFile, beside the user's host list
// ($XDG_CONFIG_HOME/nova/project-hosts.json). Plan, up, down and ps read those hosts too, so
// a guest whose `host` key was removed or changed is found where it runs (and moved, not
// made twice), and down reaches every host the project still has something on. A project
// that has only ever run on this machine is never written here.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { LOCAL_HOST } from '../../../src-shared/vocabulary/index.js';
import { defaultRegistryPath } from '../hosts/host-registry.js';
import { writePrivateFile } from '../private-file.js';

const MEMORY_VERSION = 1;

const MemoryFileSchema = z.strictObject({
  version: z.literal(MEMORY_VERSION),
  projects: z.record(z.string(), z.array(z.string())),
});

export function defaultMemoryPath(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(path.dirname(defaultRegistryPath(env)), 'project-hosts.json');
}

export class ProjectHostMemory {
  constructor(readonly file: string = defaultMemoryPath()) {}

  /** The hosts other than this machine that the NovaFile's project was last applied on. */
  async hostsOf(novaFile: string): Promise<string[]> {
    return (await this.read())[path.resolve(novaFile)] ?? [];
  }

  /** Records where the project now has resources; none but this machine forgets it. */
  async remember(novaFile: string, hosts: readonly string[]): Promise<void> {
    const key = path.resolve(novaFile);
    const others = [...new Set(hosts.filter((h) => h !== LOCAL_HOST))].sort();
    const projects = await this.read();
    const before = projects[key] ?? [];
    if (others.length === before.length && others.every((h, i) => h === before[i])) return;
    if (others.length === 0) delete projects[key];
    else projects[key] = others;
    await writePrivateFile(this.file, JSON.stringify({ version: MEMORY_VERSION, projects }, null, 2) + '\n');
  }

  private async read(): Promise<Record<string, string[]>> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch {
      return {};
    }
    // A damaged file costs only the memory of where projects ran: the file's own hosts still count.
    try {
      const parsed = MemoryFileSchema.safeParse(JSON.parse(text));
      return parsed.success ? { ...parsed.data.projects } : {};
    } catch {
      return {};
    }
  }
}
