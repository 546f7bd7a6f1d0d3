// `nova host add|ls|rm`: the user's named remote hosts (host-registry.ts), each checked
// through `ssh HOST nova connect` like every `--host` command.
import type { Command } from 'commander';
import { NovaError } from '../../../src-shared/index.js';
import type { HostAddress } from '../../../src-shared/vocabulary/index.js';
import { probeRemote, type HostStatus } from '../../core/hosts/host-probe.js';
import { checkAddress, HostRegistry } from '../../core/hosts/host-registry.js';
import { sshOptionsFromEnv } from '../../core/hosts/ssh-command.js';
import { outFn, type CliContext } from '../cli-context.js';

export function registerHostRegistryCommands(host: Command, ctx: CliContext): void {
  const out = outFn(ctx);
  host
    .command('add <name> <url>')
    .description('Register a remote host (ssh://[user@]host[:port]) after checking that Nova answers there')
    .option('--no-check', 'register without connecting')
    .action(async (name: string, url: string, o: { check: boolean }) => {
      const registry = new HostRegistry();
      const address = checkAddress(url);
      if (address.kind === 'local') throw new NovaError('invalid_argument', '"local" is this machine and needs no registration');
      let status: HostStatus | null = null;
      if (o.check) {
        status = await probe(address, false);
        if (!status.reachable) throw new NovaError('unavailable', `Cannot reach Nova on ${url}: ${status.error ?? 'no answer'}; nothing was registered (use --no-check to register it anyway)`);
      }
      const added = await registry.add(name, url);
      if (ctx.globals().json) out(JSON.stringify({ name: added.name, url: added.url, ...(status ? { status } : {}) }));
      else out(`${added.name}: ${added.url}${status ? ` (Nova ${status.version}, ${status.accelerator})` : ''}`);
    });

  host
    .command('ls')
    .description('The registered hosts: reachable, Nova version, accelerator and guests, each asked in parallel')
    .action(async () => {
      const hosts = await new HostRegistry().list();
      const statuses = await Promise.all(hosts.map((h) => probe(h.address, true)));
      const rows = hosts.map((h, i) => ({ name: h.name, url: h.url, ...(statuses[i] as HostStatus) }));
      if (ctx.globals().json) {
        out(JSON.stringify({ hosts: rows }));
        return;
      }
      out(formatHostTable(rows));
    });

  host
    .command('rm <name>')
    .description('Forget a registered host (nothing changes on the host itself)')
    .action(async (name: string) => {
      await new HostRegistry().remove(name);
      if (ctx.globals().json) out(JSON.stringify({ removed: name }));
      else out(`${name}: removed`);
    });
}

function probe(address: HostAddress, batch: boolean): Promise<HostStatus> {
  if (address.kind === 'local') throw new NovaError('invalid_argument', 'local is not a registered host');
  return probeRemote(address, sshOptionsFromEnv(process.env, batch || process.stdin.isTTY !== true));
}

export function formatHostTable(rows: Array<{ name: string; url: string } & HostStatus>): string {
  if (rows.length === 0) return 'No hosts registered; add one with "nova host add NAME ssh://[user@]host[:port]"';
  const table = [['NAME', 'URL', 'STATE', 'VERSION', 'ACCEL', 'VMS', 'CAPSULES']];
  for (const r of rows) {
    const dash = (v: string | number | null) => (v === null ? '-' : String(v));
    table.push([r.name, r.url, r.reachable ? 'reachable' : 'unreachable', dash(r.version), dash(r.accelerator), dash(r.vms), dash(r.capsules)]);
  }
  const widths = table[0]!.map((_, c) => Math.max(...table.map((row) => row[c]!.length)));
  const lines = table.map((row) => row.map((cell, c) => cell.padEnd(widths[c]!)).join('  ').trimEnd());
  const errors = rows.filter((r) => !r.reachable).map((r) => `${r.name}: ${r.error ?? 'no answer'}`);
  return [...lines, ...(errors.length ? ['', ...errors] : [])].join('\n');
}
