// What a tool said, condensed to evidence: the first line of a version answer, or one
// line on why it failed, as a person typing the same command would read them.
import type { HostProbeEnv } from './host-probe-env.js';

export const VERSION_TIMEOUT_MS = 5_000;

export type ToolVersion =
  | { ok: true; path: string; line: string }
  | { ok: false; path: string; error: string };

export async function toolVersion(env: HostProbeEnv, path: string, args: readonly string[] = ['--version']): Promise<ToolVersion> {
  const r = await env.run([path, ...args], { timeoutMs: VERSION_TIMEOUT_MS });
  const line = firstLine(r.stdout) || firstLine(r.stderr);
  if (r.exitCode === 0 && line) return { ok: true, path, line };
  return { ok: false, path, error: describeFailure(r, VERSION_TIMEOUT_MS) };
}

/** First non-empty line of a tool's output, trimmed: the line worth quoting. */
export function firstLine(text: string): string {
  return text.split('\n').map((l) => l.trim()).find((l) => l.length > 0) ?? '';
}

/** A tool's failure, condensed to one line of evidence. */
export function describeFailure(r: {
  exitCode: number | null;
  stderr: string;
  stdout: string;
  timedOut: boolean;
  spawnError: string | null;
}, timeoutMs?: number): string {
  if (r.spawnError) return `could not start: ${r.spawnError}`;
  if (r.timedOut) return `no answer within ${timeoutMs !== undefined ? `${timeoutMs / 1000} s` : 'the time limit'}`;
  const msg = lastMeaningfulLine(r.stderr) || lastMeaningfulLine(r.stdout);
  return `exit ${r.exitCode ?? 'by signal'}${msg ? `: ${msg}` : ''}`;
}

function lastMeaningfulLine(text: string): string {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l.length > 0);
  const line = lines[lines.length - 1] ?? '';
  return line.length > 300 ? line.slice(0, 297) + '...' : line;
}
