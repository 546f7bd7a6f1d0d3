// A seeded random source for the long test loops (fuzzing, fault placement): a failing run
// prints its seed, and the same seed repeats it exactly. mulberry32: small, fast, and
// good enough to spread inputs; nothing here needs cryptographic randomness.

export interface SeededRandom {
  /** In [0, 1). */
  next: () => number;
  /** An integer in [0, n). */
  int: (n: number) => number;
  pick: <T>(items: readonly T[]) => T;
}

export function seededRandom(seed: number): SeededRandom {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  return { next, int, pick: (items) => items[int(items.length)]! };
}

/** The seed of this run: NOVA_SEED when given (to repeat a failure), else one from the clock. */
export function runSeed(env: Record<string, string | undefined>): number {
  const given = Number(env.NOVA_SEED);
  return Number.isInteger(given) && env.NOVA_SEED !== undefined ? given : Date.now() % 2 ** 31;
}

/** The long loops' count: the full one with NOVA_SOAK=1, the everyday one otherwise. */
export function soakCount(env: Record<string, string | undefined>, full: number, everyday: number): number {
  return env.NOVA_SOAK === '1' ? full : everyday;
}
