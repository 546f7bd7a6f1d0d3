// Web mode's API tokens, for browsers that reach `nova web` from another machine: each a
// 256-bit random secret shown once, kept only as its SHA-256 (a secret that long needs no
// slow hash: there is nothing to guess), with a name, a scope, and an expiry.
// $XDG_CONFIG_HOME/nova/web-tokens.json is written only by `nova token`, atomically and
// 0600; `nova web` reads it on every check, so a removed or expired token stops working at
// its next call. When each token was last used goes to a file of its own beside it, which
// only `nova web` writes: the two writers never overwrite each other's changes.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { NovaError } from '../../src-shared/index.js';
import { writePrivateFile } from './private-file.js';
import { TOKEN_SCOPES, type TokenScope } from './web-scope.js';

const TOKENS_VERSION = 1;
const SECRET_PREFIX = 'nvt_';
/** A token's name: what `nova token rm` takes and what the log says, never the secret. */
export const TOKEN_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;
/** How long a token may live at most: a year, so a forgotten one does not open the host forever. */
export const TOKEN_MAX_LIFETIME_MS = 366 * 86_400_000;
/** Last-use times are written at most this often per token, not on every call. */
const LAST_USED_GRANULARITY_MS = 60_000;

const StoredTokenSchema = z.strictObject({
  name: z.string().regex(TOKEN_NAME_PATTERN),
  scope: z.enum(TOKEN_SCOPES),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  createdAt: z.iso.datetime(),
  expiresAt: z.iso.datetime(),
});
type StoredToken = z.infer<typeof StoredTokenSchema>;

const TokensFileSchema = z.strictObject({ version: z.literal(TOKENS_VERSION), tokens: z.array(StoredTokenSchema) });
const LastUsedFileSchema = z.record(z.string(), z.iso.datetime());

export interface TokenInfo {
  name: string;
  scope: TokenScope;
  createdAt: string;
  expiresAt: string;
  lastUsedAt: string | null;
}

export type TokenCheck =
  | { ok: true; name: string; scope: TokenScope }
  | { ok: false; reason: 'unknown' }
  | { ok: false; reason: 'expired'; name: string; expiresAt: string };

export function defaultTokenFile(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME && path.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : path.join(homedir(), '.config');
  return path.join(base, 'nova', 'web-tokens.json');
}

const digest = (secret: string) => createHash('sha256').update(secret, 'utf8').digest();

export class WebTokenStore {
  private cache: { key: string; tokens: StoredToken[] } | null = null;
  private lastUsedWritten = new Map<string, number>();

  constructor(
    readonly file: string = defaultTokenFile(),
    private readonly now: () => Date = () => new Date(),
  ) {}

  private get lastUsedFile(): string {
    return this.file.replace(/\.json$/, '') + '-last-used.json';
  }

  /** Makes a token and returns its secret: the only time anyone sees it. */
  async create(spec: { name?: string; scope: TokenScope; lifetimeMs: number }): Promise<{ secret: string; token: TokenInfo }> {
    if (!(spec.lifetimeMs > 0) || spec.lifetimeMs > TOKEN_MAX_LIFETIME_MS) {
      throw new NovaError('invalid_argument', 'A token lives between a second and 366 days (e.g. --expires 30d)');
    }
    const tokens = await this.read();
    const name = spec.name ?? `token-${randomBytes(3).toString('hex')}`;
    if (!TOKEN_NAME_PATTERN.test(name)) {
      throw new NovaError('invalid_argument', `${JSON.stringify(name)} is not a token name: lower-case letters, digits, "-" and "_", starting with a letter or digit, at most 63`);
    }
    if (tokens.some((t) => t.name === name)) throw new NovaError('already_exists', `A token named ${name} exists; remove it first with "nova token rm ${name}"`);
    const secret = SECRET_PREFIX + randomBytes(32).toString('base64url');
    const created = this.now();
    const stored: StoredToken = {
      name,
      scope: spec.scope,
      sha256: digest(secret).toString('hex'),
      createdAt: created.toISOString(),
      expiresAt: new Date(created.getTime() + spec.lifetimeMs).toISOString(),
    };
    await this.write(this.file, { version: TOKENS_VERSION, tokens: [...tokens, stored] });
    return { secret, token: { ...publicPart(stored), lastUsedAt: null } };
  }

  async list(): Promise<TokenInfo[]> {
    const [tokens, used] = await Promise.all([this.read(), this.readLastUsed()]);
    return tokens.map((t) => ({ ...publicPart(t), lastUsedAt: used[t.name] ?? null })).sort((a, b) => a.name.localeCompare(b.name));
  }

  async remove(name: string): Promise<void> {
    const tokens = await this.read();
    if (!tokens.some((t) => t.name === name)) throw new NovaError('not_found', `No token named ${JSON.stringify(name)} (see "nova token ls")`);
    await this.write(this.file, { version: TOKENS_VERSION, tokens: tokens.filter((t) => t.name !== name) });
  }

  /** Whether `candidate` is a live token; every stored hash is compared, in constant time each. */
  async check(candidate: string): Promise<TokenCheck> {
    const tokens = await this.read();
    const hash = digest(candidate);
    let found: StoredToken | undefined;
    for (const t of tokens) if (timingSafeEqual(hash, Buffer.from(t.sha256, 'hex'))) found = t;
    if (!found) return { ok: false, reason: 'unknown' };
    const now = this.now();
    if (Date.parse(found.expiresAt) <= now.getTime()) return { ok: false, reason: 'expired', name: found.name, expiresAt: found.expiresAt };
    await this.noteUse(found.name, now).catch(() => undefined);
    return { ok: true, name: found.name, scope: found.scope };
  }

  private async noteUse(name: string, now: Date): Promise<void> {
    const last = this.lastUsedWritten.get(name);
    if (last !== undefined && now.getTime() - last < LAST_USED_GRANULARITY_MS) return;
    this.lastUsedWritten.set(name, now.getTime());
    const used = await this.readLastUsed();
    used[name] = now.toISOString();
    const live = new Set((await this.read()).map((t) => t.name));
    await this.write(this.lastUsedFile, Object.fromEntries(Object.entries(used).filter(([n]) => live.has(n))));
  }

  private async read(): Promise<StoredToken[]> {
    let key: string;
    try {
      const st = await stat(this.file);
      key = `${st.ino}:${st.size}:${st.mtimeMs}`;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new NovaError('unavailable', `Cannot read ${this.file}: ${(err as Error).message}`);
    }
    if (this.cache?.key === key) return this.cache.tokens;
    const text = await readFile(this.file, 'utf8');
    let parsed;
    try {
      parsed = TokensFileSchema.safeParse(JSON.parse(text));
    } catch (err) {
      throw new NovaError('invalid_argument', `${this.file} is not valid JSON (${(err as Error).message}); fix or remove it`);
    }
    if (!parsed.success) throw new NovaError('invalid_argument', `${this.file} is not a Nova token list (${parsed.error.issues[0]?.message ?? 'bad shape'}); fix or remove it`);
    this.cache = { key, tokens: parsed.data.tokens };
    return parsed.data.tokens;
  }

  private async readLastUsed(): Promise<Record<string, string>> {
    try {
      const parsed = LastUsedFileSchema.safeParse(JSON.parse(await readFile(this.lastUsedFile, 'utf8')));
      return parsed.success ? { ...parsed.data } : {};
    } catch {
      // Missing or damaged: only the "last used" column is lost, and the next use rewrites it.
      return {};
    }
  }

  private async write(file: string, data: unknown): Promise<void> {
    await writePrivateFile(file, JSON.stringify(data, null, 2) + '\n');
  }
}

function publicPart(t: StoredToken): Omit<TokenInfo, 'lastUsedAt'> {
  return { name: t.name, scope: t.scope, createdAt: t.createdAt, expiresAt: t.expiresAt };
}
