// The user's named hosts ("closet" -> ssh://admin@closet.lan), in
// $XDG_CONFIG_HOME/nova/hosts.json: the user's own file, written atomically (a temp
// file flushed and renamed, then the folder flushed), holding addresses only. Keys and
// passwords stay with OpenSSH; Nova keeps no credentials.
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { NovaError } from '../../../src-shared/index.js';
import { LOCAL_HOST, parseHostAddress, parseHostName, type HostAddress } from '../../../src-shared/vocabulary/index.js';
import { writePrivateFile } from '../private-file.js';

const REGISTRY_VERSION = 1;

const RegistryFileSchema = z.strictObject({
  version: z.literal(REGISTRY_VERSION),
  hosts: z.record(z.string(), z.string()),
});

export interface RegisteredHost {
  name: string;
  url: string;
  address: HostAddress;
}

export function defaultRegistryPath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME && path.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : path.join(homedir(), '.config');
  return path.join(base, 'nova', 'hosts.json');
}

export class HostRegistry {
  constructor(readonly file: string = defaultRegistryPath()) {}

  async list(): Promise<RegisteredHost[]> {
    const hosts = await this.read();
    return Object.entries(hosts)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, url]) => ({ name, url, address: this.addressOf(name, url) }));
  }

  async get(name: string): Promise<RegisteredHost | null> {
    const url = (await this.read())[name];
    return url === undefined ? null : { name, url, address: this.addressOf(name, url) };
  }

  async add(name: string, url: string): Promise<RegisteredHost> {
    const checkedName = checkName(name);
    const address = checkAddress(url);
    const hosts = await this.read();
    if (hosts[checkedName] !== undefined) {
      throw new NovaError('already_exists', `A host named ${checkedName} is already registered (${hosts[checkedName]}); remove it first with "nova host rm ${checkedName}"`);
    }
    hosts[checkedName] = url;
    await this.write(hosts);
    return { name: checkedName, url, address };
  }

  async remove(name: string): Promise<void> {
    const hosts = await this.read();
    if (hosts[name] === undefined) throw new NovaError('not_found', `No host named ${JSON.stringify(name)} is registered (see "nova host ls")`);
    delete hosts[name];
    await this.write(hosts);
  }

  /** A registered name, `local`, or an ssh:// address given directly. */
  async resolve(nameOrUrl: string): Promise<HostAddress> {
    if (nameOrUrl === LOCAL_HOST || nameOrUrl.includes('://')) return checkAddress(nameOrUrl);
    const host = await this.get(checkName(nameOrUrl));
    if (!host) throw new NovaError('not_found', `No host named ${JSON.stringify(nameOrUrl)} is registered; add it with "nova host add ${nameOrUrl} ssh://[user@]host[:port]" or give an ssh:// address`);
    return host.address;
  }

  private addressOf(name: string, url: string): HostAddress {
    const parsed = parseHostAddress(url);
    if (!parsed.ok) throw new NovaError('invalid_argument', `${this.file}: host ${name}: ${parsed.message}`);
    return parsed.value;
  }

  private async read(): Promise<Record<string, string>> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw new NovaError('unavailable', `Cannot read ${this.file}: ${(err as Error).message}`);
    }
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (err) {
      throw new NovaError('invalid_argument', `${this.file} is not valid JSON (${(err as Error).message}); fix or remove it`);
    }
    const parsed = RegistryFileSchema.safeParse(data);
    if (!parsed.success) throw new NovaError('invalid_argument', `${this.file} is not a Nova host list (${parsed.error.issues[0]?.message ?? 'bad shape'}); fix or remove it`);
    return { ...parsed.data.hosts };
  }

  private async write(hosts: Record<string, string>): Promise<void> {
    await writePrivateFile(this.file, JSON.stringify({ version: REGISTRY_VERSION, hosts }, null, 2) + '\n');
  }
}

export function checkName(name: string): string {
  if (name === LOCAL_HOST) throw new NovaError('invalid_argument', '"local" always means this machine; choose another name');
  const parsed = parseHostName(name);
  if (!parsed.ok) throw new NovaError('invalid_argument', parsed.message);
  return parsed.value;
}

export function checkAddress(url: string): HostAddress {
  const parsed = parseHostAddress(url);
  if (!parsed.ok) throw new NovaError('invalid_argument', parsed.message);
  return parsed.value;
}
