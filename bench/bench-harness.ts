// The benchmark harness: each benchmark times Nova and the raw tool side by side in
// the same run and reports the ratio of their medians against its target.
import { createConnection } from 'node:net';
export interface Sample {
  p50: number;
  p95: number;
  n: number;
}

export interface BenchResult {
  name: string;
  nova: Sample;
  raw: Sample;
  unit: string;
  /** nova.p50 / raw.p50 must be at most this. */
  target: number;
}

export interface Benchmark {
  name: string;
  run: () => Promise<BenchResult>;
}

export function summarize(values: number[]): Sample {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  return { p50: at(0.5), p95: at(0.95), n: sorted.length };
}

/** Times `once` n times after a warm-up, in milliseconds. */
export async function timeIt(once: () => Promise<void>, n: number, warmup = Math.min(200, n)): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await once();
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    await once();
    out.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return out;
}

/**
 * Alternates Nova and raw rounds so both see the same machine load, then merges.
 */
export async function interleaved(
  nova: () => Promise<void>,
  raw: () => Promise<void>,
  rounds: number,
  perRound: number,
): Promise<{ nova: Sample; raw: Sample }> {
  const a: number[] = [];
  const b: number[] = [];
  for (let r = 0; r < rounds; r++) {
    a.push(...(await timeIt(nova, perRound, r === 0 ? 200 : 20)));
    b.push(...(await timeIt(raw, perRound, r === 0 ? 200 : 20)));
  }
  return { nova: summarize(a), raw: summarize(b) };
}

/**
 * For benchmarks whose runs time themselves (each returns its own milliseconds, leaving
 * out per-run setup and cleanup): `warmup` pairs first to warm caches for both, then
 * rounds of `perRound` Nova runs and `perRound` raw runs, alternating so both see the
 * same load.
 */
export async function pairedRuns(
  nova: () => Promise<number>,
  raw: () => Promise<number>,
  o: { warmup: number; rounds: number; perRound: number },
): Promise<{ nova: Sample; raw: Sample }> {
  for (let i = 0; i < o.warmup; i++) {
    await nova();
    await raw();
  }
  const a: number[] = [];
  const b: number[] = [];
  for (let round = 0; round < o.rounds; round++) {
    for (let i = 0; i < o.perRound; i++) a.push(await nova());
    for (let i = 0; i < o.perRound; i++) b.push(await raw());
  }
  return { nova: summarize(a), raw: summarize(b) };
}

export function formatResults(results: BenchResult[]): string {
  const lines = ['benchmark                          nova p50    raw p50     ratio   target  verdict'];
  for (const r of results) {
    const ratio = r.nova.p50 / r.raw.p50;
    lines.push(
      `${r.name.padEnd(34)} ${fmt(r.nova.p50, r.unit)} ${fmt(r.raw.p50, r.unit)} ${ratio.toFixed(2).padStart(7)} ${('<= ' + r.target).padStart(8)}  ${ratio <= r.target ? 'ok' : 'OVER TARGET'}`,
    );
  }
  return lines.join('\n');
}

function fmt(v: number, unit: string): string {
  return `${v.toFixed(3)} ${unit}`.padEnd(11);
}

/** Until a unix socket accepts a connection (a helper or server just spawned), at most 10 s. */
export async function waitForSocket(path: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    const ok = await new Promise<boolean>((r) => {
      const s = createConnection(path);
      s.once('connect', () => (s.destroy(), r(true)));
      s.once('error', () => r(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`nothing answered on ${path} within 10 s`);
}
