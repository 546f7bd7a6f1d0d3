// The machine type a profile means on this host: Nova starts "q35", which QEMU resolves to
// its newest versioned type (pc-q35-7.2). A migration needs the same versioned type on both
// hosts, so each helper asks its own QEMU (`-machine help`) what the alias stands for.
import type { ProcessRunner } from '../process/process-runner.js';

const HELP_TIMEOUT_MS = 15_000;

/** "q35   Standard PC (Q35 + ICH9, 2009) (alias of pc-q35-7.2)" -> "pc-q35-7.2"; a type that is no alias stands for itself. */
export function parseMachineAlias(help: string, machine: string): string | null {
  for (const line of help.split('\n')) {
    const [first] = line.trim().split(/\s+/);
    if (first !== machine) continue;
    return /\(alias of ([A-Za-z0-9._-]+)\)/.exec(line)?.[1] ?? machine;
  }
  return null;
}

/** Asked once per QEMU binary for the helper's life: a QEMU upgraded under a running helper is a restart's business. */
const helpOf = new Map<string, Promise<string>>();

export async function resolvedMachineType(runner: ProcessRunner, qemuBinary: string, machine: string): Promise<string | null> {
  let help = helpOf.get(qemuBinary);
  if (!help) {
    help = runner.run({ argv: [qemuBinary, '-machine', 'help'], timeoutMs: HELP_TIMEOUT_MS, what: 'QEMU: listing its machine types' }).then((r) => r.stdout);
    helpOf.set(qemuBinary, help);
    help.catch(() => helpOf.delete(qemuBinary));
  }
  return parseMachineAlias(await help, machine);
}
