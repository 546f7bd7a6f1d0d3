// The CPU a guest sees, as a set of feature names, and the one a migration's destination
// gives it. Nova starts guests on the host's own model (`host` on KVM, `max` on TCG), whose
// features differ between machines: a running guest that used a feature the destination's
// CPU lacks would fault there, and one that finds new features after the move has a CPU
// that changed under it. So the source states the features its guest has, the destination
// refuses the move naming any it lacks, and starts its QEMU with the same model minus the
// features only it has: the guest sees the features both hosts support. Each helper asks
// its own QEMU (a `-machine none` probe speaking QMP on stdio, as libvirt asks it).
import { NovaError } from '../../../src-shared/errors.js';
import type { ProcessRunner } from '../process/process-runner.js';

const PROBE_TIMEOUT_MS = 20_000;

export type Accel = 'kvm' | 'tcg';

/** The model a guest on this accelerator starts from. */
export function baseCpuModel(accel: Accel): 'host' | 'max' {
  return accel === 'kvm' ? 'host' : 'max';
}

/** The commands the probe sends; its answer to the expansion is the third line QEMU writes with a `return`. */
export function probeInput(accel: Accel, off: readonly string[]): string {
  const props = Object.fromEntries(off.map((f) => [f, false]));
  const model = { name: baseCpuModel(accel), ...(off.length > 0 ? { props } : {}) };
  return [{ execute: 'qmp_capabilities' }, { execute: 'query-cpu-model-expansion', arguments: { type: 'full', model } }, { execute: 'quit' }].map((c) => JSON.stringify(c)).join('\n') + '\n';
}

/** The names of the features the expansion turns on, sorted (boolean properties only). */
export function featuresOfProbeOutput(stdout: string): string[] {
  for (const line of stdout.split('\n')) {
    if (!line.includes('"model"')) continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      continue;
    }
    const props = (parsed as { return?: { model?: { props?: Record<string, unknown> } } }).return?.model?.props;
    if (!props) continue;
    return Object.entries(props)
      .filter(([, v]) => v === true)
      .map(([k]) => k)
      .sort();
  }
  const error = /"desc":\s*"([^"]*)"/.exec(stdout)?.[1];
  throw new NovaError('internal', `QEMU did not expand its CPU model${error ? `: ${error}` : ''}`);
}

/** Asked once per QEMU binary, accelerator and features off for the helper's life, as machine-type.ts asks for its aliases: every migration offers and checks them. */
const probed = new Map<string, Promise<string[]>>();

/** What the guest's CPU has on this host: the base model with `off` turned off. */
export function probeCpuFeatures(runner: ProcessRunner, qemuBinary: string, accel: Accel, off: readonly string[] = []): Promise<string[]> {
  const key = [qemuBinary, accel, ...[...off].sort()].join('\n');
  let features = probed.get(key);
  if (!features) {
    features = probe(runner, qemuBinary, accel, off);
    probed.set(key, features);
    features.catch(() => probed.delete(key));
  }
  return features;
}

async function probe(runner: ProcessRunner, qemuBinary: string, accel: Accel, off: readonly string[]): Promise<string[]> {
  const result = await runner.run({
    argv: [qemuBinary, '-machine', 'none', '-accel', accel, '-nodefaults', '-nographic', '-display', 'none', '-qmp', 'stdio'],
    input: probeInput(accel, off),
    timeoutMs: PROBE_TIMEOUT_MS,
    what: `QEMU: expanding its ${baseCpuModel(accel)} CPU model`,
  });
  return featuresOfProbeOutput(result.stdout);
}

/**
 * The destination's answer to the source's features: refused naming what it lacks, else
 * the features it turns off so the guest sees exactly what it saw.
 */
export function cpuForIncoming(vm: string, guest: readonly string[], here: readonly string[]): { off: string[] } {
  const has = new Set(here);
  const missing = guest.filter((f) => !has.has(f));
  if (missing.length > 0) {
    const shown = missing.slice(0, 12).join(', ') + (missing.length > 12 ? ` and ${missing.length - 12} more` : '');
    throw new NovaError('failed_precondition', `VM ${vm} uses CPU features this host's CPU lacks (${shown}): it cannot move here while it runs (stop it and start it here instead)`, { missing });
  }
  const wanted = new Set(guest);
  return { off: here.filter((f) => !wanted.has(f)) };
}
