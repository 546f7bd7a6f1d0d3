// The `exec` probe: a command run in the capsule (`runc exec`, through the capsule manager
// and so through ProcessRunner, bounded by the check's timeout); exit 0 passes.
import type { Probe } from './health-monitor.js';

export interface CapsuleExec {
  exec(name: string, command: readonly string[], opts: { timeoutMs?: number }): Promise<{ exitCode: number; stdout: string; stderr: string }>;
}

function firstLine(text: string): string {
  return text.split('\n').find((l) => l.trim() !== '')?.trim() ?? '';
}

export function execProbe(capsules: CapsuleExec, name: string, command: readonly string[], timeoutMs: number): Probe {
  return async () => {
    const r = await capsules.exec(name, command, { timeoutMs });
    const said = firstLine(r.stderr) || firstLine(r.stdout);
    return { ok: r.exitCode === 0, line: `exit ${r.exitCode}${said ? `: ${said}` : ''}` };
  };
}
