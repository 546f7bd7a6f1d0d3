// Start-to-exit of a capsule running `true`: CapsuleManager start until the exit is recorded
// (in-process, no helper RPC; conmon and runc are real) against `runc run` of the
// same bundle (Nova's config.json, own overlay rootfs) directly. Both sides prepare their
// bundle before the clock starts, as `podman create` does: create and delete are not timed.
// runc's runs come back to back, so about half of them find the kernel's cgroup-attach grace
// period (see README) already passed by the run before: they are quicker than a lone
// `runc run` by that period (5-30 ms). Nova's, with create and delete between, never are.
import { pairedRuns, type Benchmark } from './bench-harness.js';
import { capsuleBenchRun, capsuleSpec, IMAGE, runc } from './capsule-bench-fixture.js';

const ROUNDS = 6;
const PER_ROUND = 5;

export const capsuleStartToExit: Benchmark = {
  name: 'capsule start to exit (true)',
  async run() {
    const run = await capsuleBenchRun();
    try {
      const m = run.capsules;
      // A template capsule gives the raw side Nova's exact config.json.
      await m.create(capsuleSpec({ name: 'tpl', image: IMAGE, command: ['true'] }));
      await m.start('tpl');
      if (!(await m.waitForExit('tpl', 15_000))) throw new Error('the template capsule running `true` did not exit within 15 s');
      const rawId = `${run.tag}-raw`;
      const bundle = await run.rawBundle('tpl', rawId);
      let seq = 0;
      // Creating and deleting the capsule are part of each round, not of the measure.
      const nova = async (): Promise<number> => {
        const name = `t${++seq}`;
        await m.create(capsuleSpec({ name, image: IMAGE, command: ['true'] }));
        const t0 = process.hrtime.bigint();
        await m.start(name);
        if (!(await m.waitForExit(name, 15_000))) throw new Error(`capsule ${name} running \`true\` did not exit within 15 s`);
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        const c = await m.get(name);
        if (c.lastExit?.reason !== 'exited' || c.lastExit.exitCode !== 0) throw new Error(`capsule ${name} ended ${JSON.stringify(c.lastExit)}, not exited 0`);
        await m.delete(name, true);
        return ms;
      };
      const direct = async (): Promise<number> => {
        const t0 = process.hrtime.bigint();
        await runc(['--root', run.rawRoot, 'run', '--bundle', bundle, rawId]);
        return Number(process.hrtime.bigint() - t0) / 1e6;
      };
      const measured = await pairedRuns(nova, direct, { warmup: 3, rounds: ROUNDS, perRound: PER_ROUND });
      return { name: this.name, nova: measured.nova, raw: measured.raw, unit: 'ms', target: 1.3 };
    } finally {
      await run.cleanup();
    }
  },
};
