// Moves an IOMMU group's endpoints to vfio-pci and back (VFIO.md 2.1-2.3, 2.6-2.8):
// the driver_override sequence with verification, the journal saved before every
// write, rollback of every function touched when a step fails, a bounded wait on an
// unbind that a driver never finishes, and recovery of what a killed helper left.
// Refusals (non-viable group, users, boot GPU) come before the first write.
import type { BoundFunction, DeviceBinding, DeviceHolder, DevicePolicy, PciDevice } from '../../../src-shared/device.js';
import { NovaError } from '../../../src-shared/errors.js';
import type { DeviceJournal } from './device-journal.js';
import { errnoOf, type HostIO } from './host-io.js';
import { describeMember } from './preflight-device.js';

const PCI = '/sys/bus/pci';
const VFIO = 'vfio-pci';
/** Drivers the kernel lets stay bound in a group a guest owns (DMA ownership, VFIO.md 2.3). */
const LEFT_ALONE = new Set(['pci-stub']);

export interface VfioBinderDeps {
  io: HostIO;
  journal: DeviceJournal;
  /** A fresh read of the host's PCI devices (the inventory's list). */
  devices: () => Promise<PciDevice[]>;
  /** Loads vfio-pci when its driver folder is missing (modprobe); absent in tests. */
  loadModule?: () => Promise<void>;
  unbindTimeoutMs?: number;
  verifyPolls?: number;
  verifyPollMs?: number;
  log?: (message: string) => void;
}

export interface BindRequest {
  address: string;
  policy: DevicePolicy;
  holder: DeviceHolder | null;
  /** Allows the boot GPU: the host display goes dark until the VM stops. */
  singleGpu?: boolean;
  onProgress?: (fraction: number, phase: string) => void;
}

export interface BindResult {
  binding: DeviceBinding;
  /** False when every function was on vfio-pci already. */
  changed: boolean;
  warnings: string[];
}

interface Plan {
  group: number;
  functions: BoundFunction[];
  warnings: string[];
}

export class StuckUnbindError extends NovaError {
  constructor(readonly address: string, driver: string, ms: number) {
    super('timeout', `Unbinding ${address} from ${driver} did not return within ${Math.round(ms / 1000)} s: the driver is stuck (a program may still use the device). The device is marked stuck; only a host reboot frees it`, { address, stuck: true });
  }
}

export class VfioBinder {
  private readonly unbindTimeoutMs: number;
  private readonly verifyPolls: number;
  private readonly verifyPollMs: number;

  constructor(private readonly deps: VfioBinderDeps) {
    this.unbindTimeoutMs = deps.unbindTimeoutMs ?? 10_000;
    this.verifyPolls = deps.verifyPolls ?? 10;
    this.verifyPollMs = deps.verifyPollMs ?? 50;
  }

  /** Every check that can refuse, with no write: the group and what moves to vfio-pci. */
  async plan(address: string, singleGpu = false): Promise<Plan> {
    const all = await this.deps.devices();
    const device = all.find((d) => d.address === address);
    if (!device) throw new NovaError('not_found', `No PCI device ${address} on this host (nova device ls lists them)`);
    if (device.iommuGroup === null) {
      throw new NovaError('failed_precondition', `${address} is in no IOMMU group: the IOMMU is off or does not cover this slot, so nothing can be passed through (nova device check ${address} says how to turn it on)`);
    }
    const group = device.iommuGroup;
    const byAddress = new Map(all.map((d) => [d.address, d]));
    const members = device.groupMembers.filter((m) => !m.bridge);
    const slot = address.replace(/\.[0-7]$/, '');
    const foreign = members.filter((m) => !m.address.startsWith(`${slot}.`) && m.driver !== null && m.driver !== VFIO && !LEFT_ALONE.has(m.driver));
    if (foreign.length > 0) {
      throw new NovaError('failed_precondition', `IOMMU group ${group} is not viable: it also holds ${foreign.map(describeMember).join(', ')}, which would leave the host with it. Move the card to another slot, or pass that device too`, { group, foreign: foreign.map((m) => m.address) });
    }
    const targets = members.filter((m) => m.driver === null || !LEFT_ALONE.has(m.driver)).map((m) => byAddress.get(m.address)).filter((d): d is PciDevice => d !== undefined)
      .sort((a, b) => a.address.localeCompare(b.address));
    const users = targets.flatMap((d) => d.users.map((u) => ({ ...u, address: d.address })));
    if (users.length > 0) {
      const who = [...new Set(users.map((u) => `${u.name} (pid ${u.pid}, ${u.node})`))].join(', ');
      throw new NovaError('failed_precondition', `${address} is in use by ${who}: unbinding it now would hang or freeze the host. Close them first`, { users });
    }
    const warnings: string[] = [];
    const bootVga = targets.find((d) => d.bootVga === true && d.driver !== VFIO);
    if (bootVga && !singleGpu) {
      throw new NovaError('failed_precondition', `${bootVga.address} is the boot GPU (boot_vga=1): the host console runs on it. Refused unless single-GPU mode is asked for (the host display goes dark until the VM stops)`);
    }
    if (bootVga) warnings.push(`${bootVga.address} is the boot GPU: the host display goes dark until the VM stops`);
    const functions = targets.map((d): BoundFunction => ({ address: d.address, originalDriver: d.driver, originalOverride: d.driverOverride, step: 'recorded' }));
    return { group, functions, warnings };
  }

  async bind(req: BindRequest): Promise<BindResult> {
    const plan = await this.plan(req.address, req.singleGpu);
    const existing = await this.deps.journal.load(plan.group);
    if (existing && existing.phase !== 'bound') {
      throw new NovaError('failed_precondition', `IOMMU group ${plan.group} is ${existing.phase === 'stuck' ? `stuck (unbind of ${existing.stuck.join(', ')} never returned; reboot the host)` : `mid-${existing.phase}`}`);
    }
    const todo = plan.functions.filter((f) => f.originalDriver !== VFIO);
    if (existing && todo.length === 0) return { binding: existing, changed: false, warnings: plan.warnings };
    if (todo.length > 0) await this.ensureVfioDriver();
    const binding: DeviceBinding = {
      group: plan.group,
      primary: req.address,
      phase: 'binding',
      policy: req.policy,
      holder: req.holder,
      functions: plan.functions,
      stuck: [],
      updatedAt: '',
    };
    await this.deps.journal.save(binding);
    try {
      for (const [i, f] of todo.entries()) {
        req.onProgress?.(i / todo.length, `binding ${f.address} to vfio-pci`);
        await this.bindOne(binding, f);
      }
    } catch (err) {
      await this.afterFailedBind(binding, err);
      throw err;
    }
    binding.phase = 'bound';
    await this.deps.journal.save(binding);
    req.onProgress?.(1, 'bound');
    return { binding, changed: todo.length > 0, warnings: plan.warnings };
  }

  /** Back to the original drivers (an originally unbound function stays unbound), then the record goes. */
  async restore(group: number): Promise<void> {
    const binding = await this.deps.journal.load(group);
    if (!binding) return;
    if (binding.phase === 'stuck') {
      throw new NovaError('failed_precondition', `IOMMU group ${group} is stuck: unbinding ${binding.stuck.join(', ')} never returned; reboot the host`);
    }
    binding.phase = 'restoring';
    await this.deps.journal.save(binding);
    await this.restoreAll(binding);
    await this.deps.journal.remove(group);
  }

  /**
   * At helper start: a bind cut short is rolled back, a restore cut short finished, and
   * a bound group restored when `held` says nobody holds it and its policy restores.
   */
  async recover(held: (binding: DeviceBinding) => Promise<boolean>): Promise<Array<{ group: number; outcome: 'rolled back' | 'restored' | 'kept' | 'failed'; detail?: string }>> {
    const outcomes: Array<{ group: number; outcome: 'rolled back' | 'restored' | 'kept' | 'failed'; detail?: string }> = [];
    for (const binding of (await this.deps.journal.all()).bindings) {
      try {
        if (binding.phase === 'bound' && (binding.policy === 'keep' || (await held(binding)))) {
          outcomes.push({ group: binding.group, outcome: 'kept' });
          continue;
        }
        const outcome = binding.phase === 'bound' || binding.phase === 'restoring' ? 'restored' : 'rolled back';
        binding.phase = 'restoring';
        await this.deps.journal.save(binding);
        await this.restoreAll(binding);
        await this.deps.journal.remove(binding.group);
        outcomes.push({ group: binding.group, outcome });
      } catch (err) {
        outcomes.push({ group: binding.group, outcome: 'failed', detail: (err as Error).message });
      }
    }
    return outcomes;
  }

  private async bindOne(binding: DeviceBinding, f: BoundFunction): Promise<void> {
    const dev = `${PCI}/devices/${f.address}`;
    await this.step(binding, f, 'override');
    await this.write(`${dev}/driver_override`, `${VFIO}\n`);
    const driver = await this.currentDriver(f.address);
    if (driver !== null) {
      await this.step(binding, f, 'unbind');
      await this.unbind(binding, f.address, driver);
    }
    await this.step(binding, f, 'probe');
    await this.write(`${PCI}/drivers_probe`, f.address);
    await this.verify(f.address, VFIO);
    await this.step(binding, f, 'bound');
  }

  private async step(binding: DeviceBinding, f: BoundFunction, step: BoundFunction['step']): Promise<void> {
    f.step = step;
    await this.deps.journal.save(binding);
  }

  /** A stuck unbind leaves the group marked; anything else is rolled back and the record dropped. */
  private async afterFailedBind(binding: DeviceBinding, err: unknown): Promise<void> {
    const touched = binding.functions.filter((f) => f.step !== 'recorded' && !binding.stuck.includes(f.address));
    try {
      await this.restoreAll({ ...binding, functions: touched });
    } catch (rollbackErr) {
      this.deps.log?.(`rollback of group ${binding.group} failed: ${(rollbackErr as Error).message}`);
      binding.phase = binding.stuck.length > 0 ? 'stuck' : 'restoring';
      await this.deps.journal.save(binding);
      return;
    }
    if (err instanceof StuckUnbindError) {
      binding.phase = 'stuck';
      await this.deps.journal.save(binding);
      return;
    }
    await this.deps.journal.remove(binding.group);
  }

  private async restoreAll(binding: DeviceBinding): Promise<void> {
    const failures: string[] = [];
    for (const f of [...binding.functions].reverse()) {
      if (f.originalDriver === VFIO || binding.stuck.includes(f.address)) continue;
      try {
        await this.restoreOne(binding, f);
      } catch (err) {
        if (err instanceof StuckUnbindError) throw err;
        failures.push(`${f.address}: ${(err as Error).message}`);
      }
    }
    if (failures.length > 0) throw new NovaError('internal', `Restoring IOMMU group ${binding.group} failed: ${failures.join('; ')}`);
  }

  /** Reads where the function is now, so it serves a finished bind, half a bind and half a restore alike. */
  private async restoreOne(binding: DeviceBinding, f: BoundFunction): Promise<void> {
    const dev = `${PCI}/devices/${f.address}`;
    const override = await this.currentOverride(f.address);
    if (override !== f.originalOverride) {
      // A 0-byte write never reaches the kernel's store(): "\n" is what clears it.
      await this.write(`${dev}/driver_override`, `${f.originalOverride ?? ''}\n`);
    }
    const driver = await this.currentDriver(f.address);
    if (driver !== null && driver !== f.originalDriver) await this.unbind(binding, f.address, driver);
    if (f.originalDriver !== null && (driver === null || driver !== f.originalDriver)) {
      await this.write(`${PCI}/drivers_probe`, f.address);
      await this.verify(f.address, f.originalDriver);
    }
  }

  /** The kernel blocks an unbind until the driver's remove() returns: wait a bounded time, then call it stuck. */
  private async unbind(binding: DeviceBinding, address: string, driver: string): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      // Unref'd: a helper shutting down does not wait out a stuck driver.
      timer = setTimeout(() => resolve('timeout'), this.unbindTimeoutMs).unref();
    });
    const write = this.write(`${PCI}/devices/${address}/driver/unbind`, address);
    try {
      if ((await Promise.race([write, timeout])) === 'timeout') {
        // The write may still return one day; nothing waits for it.
        write.catch(() => undefined);
        if (!binding.stuck.includes(address)) binding.stuck.push(address);
        binding.phase = 'stuck';
        await this.deps.journal.save(binding);
        throw new StuckUnbindError(address, driver, this.unbindTimeoutMs);
      }
    } finally {
      clearTimeout(timer);
    }
  }

  /** A sysfs write whose failure says which attribute refused what, with the kernel's errno. */
  private async write(path: string, data: string): Promise<void> {
    try {
      await this.deps.io.writeAttr(path, data);
    } catch (err) {
      const code = errnoOf(err) ?? (err as Error).message;
      throw new NovaError('internal', `Writing ${JSON.stringify(data.trim())} to ${path} failed: ${code}`, { path, errno: code });
    }
  }

  /** drivers_probe succeeds even when nothing binds: only the driver link tells. */
  private async verify(address: string, want: string): Promise<void> {
    let got: string | null = null;
    for (let i = 0; i < this.verifyPolls; i++) {
      got = await this.currentDriver(address);
      if (got === want) return;
      await this.deps.io.sleep(this.verifyPollMs);
    }
    throw new NovaError('internal', `${address} did not bind to ${want} (driver now: ${got ?? 'none'}) after ${this.verifyPolls} checks`, { address, want, got });
  }

  private async ensureVfioDriver(): Promise<void> {
    const present = () => this.deps.io.exists(`${PCI}/drivers/${VFIO}`);
    if (await present()) return;
    await this.deps.loadModule?.().catch((err: unknown) => this.deps.log?.(`loading vfio-pci failed: ${(err as Error).message}`));
    if (!(await present())) throw new NovaError('unsupported', 'The vfio-pci driver is not loaded and could not be loaded (modprobe vfio-pci); nova device check says more');
  }

  private async currentDriver(address: string): Promise<string | null> {
    const link = await this.deps.io.readLink(`${PCI}/devices/${address}/driver`);
    return link === null ? null : link.slice(link.lastIndexOf('/') + 1);
  }

  private async currentOverride(address: string): Promise<string | null> {
    const text = (await this.deps.io.readText(`${PCI}/devices/${address}/driver_override`))?.trim() ?? '';
    return text === '' || text === '(null)' ? null : text;
  }
}
