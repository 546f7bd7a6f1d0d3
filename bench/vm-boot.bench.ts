// Boot to the serial marker: the test guest (Debian kernel + busybox initramfs, TCG)
// started through VmManager until its init prints the marker, against raw QEMU with the
// same argv until the same marker lands in the same kind of chardev log file.
import { rm } from 'node:fs/promises';
import { ensureTestGuest, GUEST_READY_MARKER } from '../helper/system-tests/fixtures/guest-builder.js';
import { VmDefinitionSchema } from '../src-shared/vm.js';
import { pairedRuns, type Benchmark } from './bench-harness.js';
import { rawArgv, spawnRaw, vmBenchRun, vmSpec, waitForText } from './vm-bench-fixture.js';

const NAME = 'nvb-boot';
const ROUNDS = 3;
const PER_ROUND = 3;

export const vmBootToMarker: Benchmark = {
  name: 'VM boot to serial marker',
  async run() {
    const guest = await ensureTestGuest();
    const run = await vmBenchRun([guest.vmlinux.replace(/\/[^/]+$/, '')]);
    try {
      const info = await run.vms.create(vmSpec({
        name: NAME,
        memory: '256Mi',
        accel: 'tcg',
        display: 'none',
        kernel: guest.vmlinux,
        initrd: guest.initrdPlain,
        cmdline: guest.cmdline,
      }));
      const raw = await rawArgv(run, VmDefinitionSchema.parse(info.definition));
      const serialLog = (await run.vms.consoleInfo(NAME)).serialLog;
      const nova = async (): Promise<number> => {
        const t0 = process.hrtime.bigint();
        await run.vms.start(NAME);
        await waitForText(serialLog, GUEST_READY_MARKER);
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        await run.vms.stop(NAME, { force: true });
        return ms;
      };
      const direct = async (): Promise<number> => {
        const t0 = process.hrtime.bigint();
        const q = spawnRaw(raw.argv, raw.files);
        await waitForText(raw.serialLog, GUEST_READY_MARKER);
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        await q.kill();
        await rm(raw.serialLog, { force: true }); // QEMU appends: the next run must not see this marker
        return ms;
      };
      const measured = await pairedRuns(nova, direct, { warmup: 1, rounds: ROUNDS, perRound: PER_ROUND });
      return { name: this.name, nova: measured.nova, raw: measured.raw, unit: 'ms', target: 1.05 };
    } finally {
      await run.cleanup();
    }
  },
};
