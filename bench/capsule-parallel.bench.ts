// 20 capsules started at once: wall time until every CapsuleManager.start (in-process)
// has resolved with its container running, against 20 `runc run -d` of the same bundles
// in parallel. The issue sets no target: the ratio is reported.
import { summarize, type Benchmark } from './bench-harness.js';
import { capsuleBenchRun, capsuleSpec, IMAGE, removeRawContainers, runc } from './capsule-bench-fixture.js';

const COUNT = 20;
const ROUNDS = 4;

export const capsuleParallelStart: Benchmark = {
  name: `${COUNT} capsules started at once`,
  async run() {
    const run = await capsuleBenchRun();
    try {
      const m = run.capsules;
      const names = Array.from({ length: COUNT }, (_, i) => `p${i}`);
      for (const name of names) await m.create(capsuleSpec({ name, image: IMAGE, command: ['sleep', '30'] }));
      // create() wrote each capsule's config.json, which the raw bundles copy.
      const novaRound = async (): Promise<number> => {
        const t0 = process.hrtime.bigint();
        const started = await Promise.all(names.map((n) => m.start(n)));
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        const notRunning = started.filter((c) => c.state !== 'running' || c.pid === null);
        if (notRunning.length > 0) throw new Error(`capsules not running after start: ${notRunning.map((c) => `${c.name} ${c.state}`).join(', ')}`);
        await Promise.all(names.map((n) => m.stop(n, 0)));
        return ms;
      };
      const first = await novaRound();
      const raw = await Promise.all(names.map(async (n) => ({ id: `${run.tag}-raw-${n}`, bundle: await run.rawBundle(n, `${run.tag}-raw-${n}`) })));
      const rawRound = async (): Promise<number> => {
        const t0 = process.hrtime.bigint();
        await Promise.all(raw.map((r) => runc(['--root', run.rawRoot, 'run', '-d', '--bundle', r.bundle, r.id])));
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        removeRawContainers(run.rawRoot);
        return ms;
      };
      await rawRound();
      const a: number[] = [first];
      const b: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        a.push(await novaRound());
        b.push(await rawRound());
      }
      a.shift(); // the first Nova round was the warm-up
      return { name: this.name, nova: summarize(a), raw: summarize(b), unit: 'ms', target: Number.POSITIVE_INFINITY };
    } finally {
      await run.cleanup();
    }
  },
};
