// Start-to-QMP-ready: VmManager.start (files, runtime record, spawn, socket wait, QMP
// negotiation) against spawning qemu-system-x86_64 with the same argv and negotiating
// QMP as early as the socket accepts. A diskless q35 under TCG: the guest does not matter.
import { VmDefinitionSchema } from '../src-shared/vm.js';
import { pairedRuns, type Benchmark } from './bench-harness.js';
import { rawArgv, spawnRaw, vmBenchRun, vmSpec, waitQmpReady } from './vm-bench-fixture.js';

const NAME = 'nvb-start';
const ROUNDS = 6;
const PER_ROUND = 5;

export const vmStartToQmp: Benchmark = {
  name: 'VM start to QMP ready',
  async run() {
    const run = await vmBenchRun([]);
    try {
      const info = await run.vms.create(vmSpec({ name: NAME, memory: '128Mi', accel: 'tcg', display: 'none' }));
      const raw = await rawArgv(run, VmDefinitionSchema.parse(info.definition));
      // Only the start is timed; stopping is part of each round, not of the measure.
      const nova = async (): Promise<number> => {
        const t0 = process.hrtime.bigint();
        await run.vms.start(NAME);
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        await run.vms.stop(NAME, { force: true });
        return ms;
      };
      const direct = async (): Promise<number> => {
        const t0 = process.hrtime.bigint();
        const q = spawnRaw(raw.argv, raw.files);
        await waitQmpReady(raw.qmpSocket);
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        await q.kill();
        return ms;
      };
      const measured = await pairedRuns(nova, direct, { warmup: 2, rounds: ROUNDS, perRound: PER_ROUND });
      return { name: this.name, nova: measured.nova, raw: measured.raw, unit: 'ms', target: 1.15 };
    } finally {
      await run.cleanup();
    }
  },
};
