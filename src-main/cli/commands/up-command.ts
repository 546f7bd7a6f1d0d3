// `nova up [-f FILE] [--yes] [--partial] [SERVICE...]`: shows the plan as `nova plan` does,
// asks once on a terminal, then applies it (project-apply.ts) with a line per resource
// and step, and the helper's progress for long steps. Ctrl+C cancels the operation in
// flight (the helper removes what it half-made), keeps what completed, and exits 130.
// A project may span hosts: `host = "NAME"` per guest, `nova --host NAME up` for the rest;
// a guest placed on another host than the one that has it is moved there.
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { planHasChanges } from '../../../src-shared/project.js';
import { prepareAssetsOf } from '../../core/assets/project-assets.js';
import { formatNovaFileDiagnostic } from '../../core/novafile/novafile-parser.js';
import { formatPlan } from '../../core/project/plan-format.js';
import { applyPlan, type ApplyOutcome } from '../../core/project/project-apply.js';
import { applySnapshotPoliciesOnHosts } from '../../core/project/snapshot-policies.js';
import { findNovaFile } from '../../core/project/project-discovery.js';
import { planNovaFile } from '../../core/project/project-planner.js';
import { placedHosts } from '../../core/project/desired-state.js';
import type { CliContext } from '../cli-context.js';
import { InterruptHub } from '../interrupt-hub.js';
import { cliProjectHelper, EXIT_INTERRUPTED } from '../project-operations.js';
import { withProjectHosts, type CliProjectHosts } from '../project-hosts.js';

interface UpOptions {
  file?: string;
  yes?: boolean;
  partial?: boolean;
  json?: boolean;
}

const HELP_AFTER = `
Without a terminal (a script, CI), nova up applies only with --yes, as terraform apply
does: a plan may replace or delete guests, so a script says so explicitly. With SERVICE
names, only those guests and what they depend on are applied, and nothing is deleted.
Exit codes: 0 applied (or nothing to do), 1 failed (what was applied stays; run nova up
again once fixed), 2 usage error or not confirmed (no terminal and no --yes), 130 cancelled with Ctrl+C.
A guest with host = "NAME" runs on that saved host; nova --host NAME up places every other
guest there (default: this machine). A guest found on another host than the file places it
on is moved: a running VM live; a stopped VM or a capsule is refused by name for now.`;

export function registerUpCommand(program: Command, ctx: CliContext): void {
  program
    .command('up')
    .description("Apply the project's NovaFile: create, change and start its networks and guests in dependency order")
    .argument('[service...]', 'only these VMs or capsules (and what they depend on)')
    .option('-f, --file <path>', 'the NovaFile (default: NovaFile.toml here or in the nearest folder above)')
    .option('-y, --yes', 'apply without asking')
    .option('--partial', 'apply what is not blocked or clashing, instead of nothing')
    .option('--json', 'print the outcome as JSON')
    .addHelpText('after', HELP_AFTER)
    .action(async (services: string[], opts: UpOptions) => {
      const file = await findNovaFile(process.cwd(), opts.file);
      await withProjectHosts(ctx, (hosts) => up(ctx, hosts, file, services, opts));
    });
}

async function up(ctx: CliContext, hosts: CliProjectHosts, file: string, services: string[], opts: UpOptions): Promise<void> {
  const json = opts.json === true || ctx.globals().json;
  await prepareAssets(ctx, hosts, file, json);
  const planned = await planNovaFile(file, await hosts.readers(file), (d) => ctx.io.stderr(formatNovaFileDiagnostic(d) + '\n'));
  const h = await hosts.client(planned.desired.hosts[0]!);
  const policyClient = async (host: string) => hosts.client(host);
  const clients = new Map(await Promise.all(planned.desired.hosts.map(async (host) => [host, await policyClient(host)] as const)));
  const policies = (skip?: ReadonlySet<string>) => applySnapshotPoliciesOnHosts((host) => clients.get(host)!, planned.desired, skip);
  const { plan } = planned;
  if (!json) ctx.io.stdout(formatPlan(plan, process.stdout.isTTY === true && process.env.NO_COLOR === undefined));
  if (!planHasChanges(plan)) {
    await hosts.memory.remember(file, placedHosts(planned.desired));
    // Snapshot policies are the helper's to run, not part of the plan: a changed one still applies.
    for (const line of await policies()) if (!json) ctx.io.stdout(`snapshots: ${line}\n`);
    if (json) ctx.io.stdout(JSON.stringify({ plan, outcome: null }, null, 2) + '\n');
    return;
  }
  if (opts.yes !== true && !(await confirm(ctx))) {
    process.exitCode = 2;
    return;
  }
  const hub = new InterruptHub().listen();
  const helper = cliProjectHelper(ctx, h, hub, json);
  let outcome: ApplyOutcome;
  try {
    outcome = await applyPlan(plan, planned.desired, planned.actual, helper, {
      services,
      partial: opts.partial === true,
      signal: hub.controller.signal,
      onLine: (subject, line) => {
        if (!json) ctx.io.stdout(`${subject}: ${line}\n`);
      },
      applySnapshotPolicies: policies,
      ...(plan.hosts ? { hosts: await hosts.applyHosts(planned.actualByHost, hub, json) } : {}),
    });
  } finally {
    hub.close();
  }
  // Short of a full apply, the project may still have something on every host read.
  const complete = !outcome.cancelled && outcome.failed.length === 0 && outcome.notApplied.length === 0 && services.length === 0;
  await hosts.memory.remember(file, complete ? placedHosts(planned.desired) : planned.desired.hosts);
  if (json) ctx.io.stdout(JSON.stringify({ plan, outcome }, null, 2) + '\n');
  else ctx.io.stdout(summarize(outcome));
  if (outcome.cancelled) process.exitCode = EXIT_INTERRUPTED;
  else if (outcome.failed.length > 0) process.exitCode = 1;
}

/** Asks once on a terminal; without one, refuses (see HELP_AFTER). */
/** [assets] are made before planning, since the plan checks that a VM's kernel exists. */
async function prepareAssets(ctx: CliContext, hosts: CliProjectHosts, file: string, json: boolean): Promise<void> {
  const hub = new InterruptHub().listen();
  try {
    const helperOf = async (host: string) => cliProjectHelper(ctx, await hosts.client(host), hub, json);
    await prepareAssetsOf(file, helperOf, { onLine: (line) => ctx.io.stderr(`assets: ${line}\n`), defaultHost: hosts.defaultHost });
  } finally {
    hub.close();
  }
}

async function confirm(ctx: CliContext): Promise<boolean> {
  if (process.stdin.isTTY !== true) {
    ctx.io.stderr('Nothing applied: nova up asks before changing anything, and there is no terminal to ask on; run nova up --yes to apply without asking.\n');
    return false;
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question('Apply these changes? [y/N] ');
    const yes = /^y(es)?$/i.test(answer.trim());
    if (!yes) ctx.io.stderr('Nothing applied.\n');
    return yes;
  } finally {
    rl.close();
  }
}

export function summarize(o: ApplyOutcome): string {
  const lines: string[] = [''];
  for (const f of o.failed) lines.push(`failed: ${f.kind} ${f.name}: ${f.message}`);
  for (const n of o.notApplied) lines.push(`not applied: ${n.kind} ${n.name}: ${n.reason}`);
  if (o.cancelled) {
    lines.push(`Cancelled: ${o.applied.length} change(s) completed and stay; nothing half-made is left. Run nova up again to finish.`);
  } else if (o.failed.length > 0) {
    lines.push(`nova up stopped short: ${o.failed.length} failed, ${o.applied.length} applied (they stay, running). Fix what failed, then run nova up again: it applies only what is left.`);
  } else if (o.notApplied.length > 0) {
    lines.push(`Applied ${o.applied.length} change(s); ${o.notApplied.length} left alone (see above).`);
  } else {
    lines.push(`Applied ${o.applied.length} change(s).`);
  }
  return lines.join('\n') + '\n';
}
