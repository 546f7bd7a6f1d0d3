// `nova token create|ls|rm`: API tokens for a remote `nova web` (web-token-store.ts). The
// secret is printed once, by create, and never again: ls shows names, scopes and dates.
import { InvalidArgumentError, type Command } from 'commander';
import { parseDuration } from '../../../src-shared/vocabulary/index.js';
import { TOKEN_SCOPES, type TokenScope } from '../../core/web-scope.js';
import { TOKEN_MAX_LIFETIME_MS, WebTokenStore, type TokenInfo } from '../../core/web-token-store.js';
import { outFn, type CliContext } from '../cli-context.js';

function parseScope(value: string): TokenScope {
  if (!(TOKEN_SCOPES as readonly string[]).includes(value)) throw new InvalidArgumentError('the scope is "view" (lists, details, metrics) or "manage" (everything its user may do)');
  return value as TokenScope;
}

function parseLifetime(value: string): number {
  const parsed = parseDuration(value, { max: TOKEN_MAX_LIFETIME_MS, positive: true });
  if (!parsed.ok) throw new InvalidArgumentError(parsed.message);
  return parsed.value;
}

export function registerTokenCommand(program: Command, ctx: CliContext): void {
  const out = outFn(ctx);
  const token = program.command('token').description('API tokens for reaching "nova web --listen" from another machine');

  token
    .command('create')
    .description('Make a token and print its secret, once')
    .requiredOption('--scope <scope>', 'view (lists, details, metrics) or manage (changes and consoles too)', parseScope)
    .option('--expires <duration>', 'how long it works, e.g. 30d, 12h (at most 366d)', parseLifetime, parseLifetime('30d'))
    .option('--name <name>', 'what ls, rm and the log call it (default: token-XXXXXX)')
    .action(async (o: { scope: TokenScope; expires: number; name?: string }) => {
      const { secret, token: made } = await new WebTokenStore().create({ scope: o.scope, lifetimeMs: o.expires, ...(o.name !== undefined ? { name: o.name } : {}) });
      if (ctx.globals().json) {
        out(JSON.stringify({ ...made, secret }));
        return;
      }
      out(secret);
      ctx.io.stderr(`nova: token ${made.name} (${made.scope}) works until ${made.expiresAt}; this is the only time its secret is shown\n`);
    });

  token
    .command('ls')
    .description('The tokens: name, scope, created, expires, last used (never the secret)')
    .action(async () => {
      const tokens = await new WebTokenStore().list();
      out(ctx.globals().json ? JSON.stringify({ tokens }) : formatTokenTable(tokens, new Date()));
    });

  token
    .command('rm <name>')
    .description('Revoke a token: a running nova web refuses it from its next call')
    .action(async (name: string) => {
      await new WebTokenStore().remove(name);
      out(ctx.globals().json ? JSON.stringify({ removed: name }) : `${name}: removed`);
    });
}

export function formatTokenTable(tokens: readonly TokenInfo[], now: Date): string {
  if (tokens.length === 0) return 'No tokens; make one with "nova token create --scope view|manage --expires 30d"';
  const rows = [['NAME', 'SCOPE', 'CREATED', 'EXPIRES', 'LAST USED']];
  for (const t of tokens) {
    const expired = Date.parse(t.expiresAt) <= now.getTime() ? ' (expired)' : '';
    rows.push([t.name, t.scope, t.createdAt, `${t.expiresAt}${expired}`, t.lastUsedAt ?? 'never']);
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  return rows.map((row) => row.map((cell, c) => cell.padEnd(widths[c]!)).join('  ').trimEnd()).join('\n');
}
