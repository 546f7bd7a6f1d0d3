// The kernel's side of sysfs writes for binder tests (VFIO.md 4.2): the tree FakeSysfs
// builds is the state (driver links, driver_override, /dev/vfio/N), and this model does
// to it what drivers/base and drivers/pci do on each write, with injected failures,
// deferred binds and hanging unbinds, and logs every write in order.
import { existsSync, readFileSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { basename, dirname, join, relative } from 'node:path';
import type { HostIO } from '../host-io.js';
import type { FakeSysfs } from './fake-sysfs.js';

export type UnbindBehavior = 'ok' | 'ebusy' | 'hang';

export interface FakeDriver {
  /** "10de:2684": the static ID table (built from the devices the fixture bound to it). */
  ids: Set<string>;
  dynIds: Set<string>;
  unbind: UnbindBehavior;
}

export interface WriteLogEntry {
  op: 'write' | 'chown';
  path: string;
  data: string;
  /** The errno the write failed with, or null. */
  error: string | null;
}

interface FailRule {
  path: RegExp;
  errno: string;
  times: number;
  after: number;
  seen: number;
}

const PCI = '/sys/bus/pci';

export class KernelError extends Error {
  constructor(
    readonly code: string,
    readonly path: string,
  ) {
    super(`${code}: write to ${path}`);
  }
}

export class FakeKernel {
  readonly writeLog: WriteLogEntry[] = [];
  readonly drivers = new Map<string, FakeDriver>();
  private readonly failRules: FailRule[] = [];
  /** Bound but not yet visible: the `driver` link appears after this many reads of it. */
  private readonly deferred = new Map<string, { driver: string; polls: number }>();
  private readonly owners = new Map<string, { uid: number; gid: number }>();
  private readonly hung: Array<() => void> = [];

  /** The model starts as the tree is: every bound device teaches its driver its ID. */
  constructor(readonly fs: FakeSysfs) {
    for (const name of readdirSync(fs.at('sys/bus/pci/drivers'))) this.loadDriver(name);
    for (const address of fs.addresses()) {
      const driver = fs.driverOf(address);
      if (driver !== null && driver !== 'vfio-pci' && driver !== 'pci-stub') this.drivers.get(driver)?.ids.add(this.idOf(address));
    }
  }

  loadDriver(name: string, ids: string[] = []): this {
    this.fs.driver(name);
    const known = this.drivers.get(name);
    if (known) for (const id of ids) known.ids.add(id);
    else this.drivers.set(name, { ids: new Set(ids), dynIds: new Set(), unbind: 'ok' });
    return this;
  }

  /** The `n`th-from-`after` matching write fails with `errno`, `times` times. */
  fail(rule: { path: RegExp; errno: string; times?: number; after?: number }): this {
    this.failRules.push({ path: rule.path, errno: rule.errno, times: rule.times ?? 1, after: rule.after ?? 0, seen: 0 });
    return this;
  }

  deferBind(address: string, polls: number): this {
    this.deferred.set(address, { driver: '', polls });
    return this;
  }

  setUnbind(driver: string, behavior: UnbindBehavior): this {
    this.drivers.get(driver)!.unbind = behavior;
    return this;
  }

  /** Lets every hung unbind finish (tests end with nothing pending). */
  releaseHung(): void {
    for (const release of this.hung.splice(0)) release();
  }

  /** The log as lines: "devices/0000:01:00.0/driver_override <- vfio-pci" (sysfs paths below /sys/bus/pci). */
  log(): string[] {
    return this.writeLog.map((w) => {
      const path = w.path.startsWith(`${PCI}/`) ? w.path.slice(PCI.length + 1) : w.path;
      const data = w.data.endsWith('\n') ? w.data.slice(0, -1) : w.data;
      return `${path} ${w.op === 'chown' ? 'chown' : '<-'} ${data === '' ? '""' : data}${w.error ? ` !${w.error}` : ''}`;
    });
  }

  driverOf(address: string): string | null {
    return this.fs.driverOf(address);
  }

  overrideOf(address: string): string {
    return readFileSync(this.fs.at(`${this.fs.deviceDir(address)}/driver_override`), 'utf8').trim();
  }

  ownerOf(path: string): { uid: number; gid: number } | null {
    if (!existsSync(this.fs.at(path.slice(1)))) return null;
    return this.owners.get(path) ?? { uid: 0, gid: 0 };
  }

  io(): HostIO {
    const at = (p: string) => this.fs.at(p.slice(1));
    return {
      readText: (p) => readFile(at(p), 'utf8').catch(() => null),
      readLink: async (p) => {
        this.pollDeferred(p);
        return readlink(at(p)).catch(() => null);
      },
      list: (p) => readdir(at(p)).catch(() => null),
      exists: async (p) => (await lstat(at(p)).catch(() => null)) !== null,
      writeAttr: (p, data) => this.write(p, data),
      chown: async (p, uid, gid) => {
        const error = existsSync(at(p)) ? this.injected(p) : 'ENOENT';
        this.writeLog.push({ op: 'chown', path: p, data: `${uid}:${gid}`, error });
        if (error) throw new KernelError(error, p);
        this.owners.set(p, { uid, gid });
      },
      owner: async (p) => this.ownerOf(p),
      sleep: async () => {
        // Polls cost no time here: the deferred-bind counter is what makes them matter.
        await Promise.resolve();
      },
    };
  }

  private injected(path: string): string | null {
    for (const rule of this.failRules) {
      if (!rule.path.test(path)) continue;
      rule.seen++;
      if (rule.seen > rule.after && rule.seen <= rule.after + rule.times) return rule.errno;
    }
    return null;
  }

  private async write(path: string, data: string): Promise<void> {
    const entry: WriteLogEntry = { op: 'write', path, data, error: null };
    this.writeLog.push(entry);
    const fail = (code: string) => {
      entry.error = code;
      return new KernelError(code, path);
    };
    const real = this.resolve(path);
    if (real === null) throw fail('ENOENT');
    const injected = this.injected(path);
    if (injected) throw fail(injected);
    // sysfs_kf_write: a 0-byte write never reaches the attribute's store().
    if (data.length === 0) return;
    const value = data.endsWith('\n') ? data.slice(0, -1) : data;
    const code = await this.store(real, value);
    if (code) throw fail(code);
  }

  /** The tree path a write lands on, through the links on its way; null when its folder is missing. */
  private resolve(path: string): string | null {
    const dir = this.fs.at(dirname(path).slice(1));
    if (!existsSync(dir)) return null;
    const real = join(realpathSync(dir), basename(path));
    return existsSync(real) ? relative(this.fs.root, real) : null;
  }

  private store(real: string, value: string): Promise<string | null> | string | null {
    const drv = /^sys\/bus\/pci\/drivers\/([^/]+)\/(bind|unbind|new_id|remove_id)$/.exec(real);
    if (drv) {
      const [, name, attr] = drv as unknown as [string, string, string];
      if (attr === 'bind') return this.bindTo(value, name);
      if (attr === 'unbind') return this.unbindFrom(value, name);
      return attr === 'new_id' ? this.newId(name, value) : this.removeId(name, value);
    }
    if (real === 'sys/bus/pci/drivers_probe') return this.probe(value);
    const mdevType = /\/mdev_supported_types\/([^/]+)\/create$/.exec(real);
    if (mdevType) return this.mdevCreate(dirname(real), value);
    if (basename(real) === 'remove' && existsSync(this.fs.at(`${dirname(real)}/mdev_type`))) return this.mdevRemove(dirname(real), value);
    const address = this.addressOfDir(dirname(real));
    const attr = basename(real);
    if (address !== null && attr === 'driver_override') {
      writeFileSync(this.fs.at(real), `${value === '' ? '(null)' : value}\n`);
      return null;
    }
    if (address !== null && attr === 'reset') return null;
    if (address !== null && attr === 'sriov_numvfs') return this.setNumVfs(address, value);
    writeFileSync(this.fs.at(real), `${value}\n`);
    return null;
  }

  private addressOfDir(dir: string): string | null {
    const address = basename(dir);
    return this.fs.addresses().includes(address) && this.fs.deviceDir(address) === dir ? address : null;
  }

  private idOf(address: string): string {
    const read = (a: string) => readFileSync(this.fs.at(`${this.fs.deviceDir(address)}/${a}`), 'utf8').trim().replace(/^0x/, '');
    return `${read('vendor')}:${read('device')}`;
  }

  private known(address: string): boolean {
    return this.fs.addresses().includes(address);
  }

  /** Bound, or bound with its link still to appear. */
  private boundTo(address: string): string | null {
    const pending = this.deferred.get(address);
    return pending && pending.driver !== '' ? pending.driver : this.fs.driverOf(address);
  }

  private matches(address: string, driver: string): boolean {
    const override = this.overrideOf(address);
    if (override !== '(null)') return override === driver;
    const d = this.drivers.get(driver);
    const id = this.idOf(address);
    return d !== undefined && (d.ids.has(id) || d.dynIds.has(id));
  }

  private bindTo(address: string, driver: string): string | null {
    if (!this.known(address) || !this.matches(address, driver)) return 'ENODEV';
    if (this.boundTo(address) !== null) return 'EBUSY';
    this.attach(address, driver);
    return null;
  }

  private unbindFrom(address: string, driver: string): Promise<string | null> | string | null {
    if (!this.known(address) || this.boundTo(address) !== driver) return 'ENODEV';
    const behavior = this.drivers.get(driver)?.unbind ?? 'ok';
    if (behavior === 'ebusy') return 'EBUSY';
    if (behavior === 'hang') {
      return new Promise((resolve) => this.hung.push(() => resolve(this.detach(address, driver))));
    }
    return this.detach(address, driver);
  }

  private probe(address: string): string | null {
    if (!this.known(address)) return 'ENODEV';
    const pending = this.deferred.get(address);
    // A second probe while the first is in flight: the fake lets the newer one decide.
    if (pending && pending.driver !== '') this.deferred.delete(address);
    if (this.fs.driverOf(address) !== null) return null;
    const override = this.overrideOf(address);
    const candidates = override !== '(null)' ? [override] : [...this.drivers.keys()];
    const driver = candidates.find((d) => this.drivers.has(d) && this.matches(address, d));
    if (driver) this.attach(address, driver);
    return null;
  }

  private newId(driver: string, value: string): string | null {
    const [vendor, device] = value.trim().split(/\s+/);
    if (!vendor || !device) return 'EINVAL';
    const id = `${vendor.toLowerCase()}:${device.toLowerCase()}`;
    const d = this.drivers.get(driver)!;
    if (d.dynIds.has(id)) return 'EEXIST';
    d.dynIds.add(id);
    for (const address of this.fs.addresses()) {
      if (this.boundTo(address) === null && this.idOf(address) === id && this.matches(address, driver)) this.attach(address, driver);
    }
    return null;
  }

  private removeId(driver: string, value: string): string | null {
    const [vendor, device] = value.trim().split(/\s+/);
    const id = `${vendor?.toLowerCase()}:${device?.toLowerCase()}`;
    return this.drivers.get(driver)!.dynIds.delete(id) ? null : 'ENODEV';
  }

  private setNumVfs(address: string, value: string): string | null {
    const dir = this.fs.deviceDir(address);
    const n = Number(value);
    const total = Number(readFileSync(this.fs.at(`${dir}/sriov_totalvfs`), 'utf8'));
    const current = Number(readFileSync(this.fs.at(`${dir}/sriov_numvfs`), 'utf8'));
    if (!Number.isInteger(n) || n < 0) return 'EINVAL';
    if (n > total) return 'ERANGE';
    if (n === current) return null;
    if (this.fs.driverOf(address) === null) return 'ENOENT';
    if (n > 0 && current > 0) return 'EBUSY';
    if (n === 0) for (const vf of this.vfsOf(address)) this.fs.removePci(vf);
    else this.makeVfs(address, n);
    writeFileSync(this.fs.at(`${dir}/sriov_numvfs`), `${n}\n`);
    return null;
  }

  /** The PF's VFs in virtfn order. */
  vfsOf(pf: string): string[] {
    const dir = this.fs.deviceDir(pf);
    return readdirSync(this.fs.at(dir))
      .filter((e) => /^virtfn\d+$/.test(e))
      .sort((a, b) => Number(a.slice(6)) - Number(b.slice(6)))
      .map((e) => basename(realpathSync(this.fs.at(`${dir}/${e}`))));
  }

  /**
   * What pci_enable_sriov does: `n` new functions at device 0x10+ of the PF's bus, each in
   * its own IOMMU group, linked both ways; probed at once only while autoprobe is on.
   */
  private makeVfs(pf: string, n: number): void {
    const dir = this.fs.deviceDir(pf);
    const read = (a: string) => readFileSync(this.fs.at(`${dir}/${a}`), 'utf8').trim();
    const vfDevice = existsSync(this.fs.at(`${dir}/sriov_vf_device`)) ? parseInt(read('sriov_vf_device'), 16) : parseInt(read('device'), 16);
    const groups = readdirSync(this.fs.at('sys/kernel/iommu_groups')).map(Number);
    const bus = pf.slice(0, 7);
    for (let k = 0; k < n; k++) {
      const address = `${bus}:${(0x10 + (k >> 3)).toString(16)}.${k & 7}`;
      this.fs.pci({ address, vendor: parseInt(read('vendor'), 16), device: vfDevice, classCode: parseInt(read('class'), 16), group: Math.max(0, ...groups) + 1 + k, physfn: pf, reset: ['flr'] });
      if (read('sriov_drivers_autoprobe') === '1') this.probe(address);
    }
  }

  /** mdev's create: a UUID makes an instance of the type, while the type has room for one. */
  private mdevCreate(typeDir: string, uuid: string): string | null {
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(uuid)) return 'EINVAL';
    if (existsSync(this.fs.at(`sys/bus/mdev/devices/${uuid}`))) return 'EEXIST';
    const available = Number(readFileSync(this.fs.at(`${typeDir}/available_instances`), 'utf8'));
    if (available <= 0) return 'EUSERS';
    const parentDir = dirname(dirname(typeDir));
    const dir = `${parentDir}/${uuid}`;
    const group = Math.max(0, ...readdirSync(this.fs.at('sys/kernel/iommu_groups')).map(Number)) + 1;
    this.fs.mkdir(dir).file(`${dir}/remove`, '').link(`${dir}/mdev_type`, typeDir).link(`sys/bus/mdev/devices/${uuid}`, dir);
    this.fs.file(`sys/kernel/iommu_groups/${group}/type`, 'DMA\n').link(`${dir}/iommu_group`, `sys/kernel/iommu_groups/${group}`).link(`sys/kernel/iommu_groups/${group}/devices/${uuid}`, dir);
    // vfio_mdev binds the instance at once: its group's node appears.
    this.fs.file(`dev/vfio/${group}`, '');
    writeFileSync(this.fs.at(`${typeDir}/available_instances`), `${available - 1}\n`);
    return null;
  }

  private mdevRemove(dir: string, value: string): string | null {
    if (value !== '1') return 'EINVAL';
    const uuid = basename(dir);
    const typeDir = relative(this.fs.root, realpathSync(this.fs.at(`${dir}/mdev_type`)));
    const group = realpathSync(this.fs.at(`${dir}/iommu_group`));
    rmSync(this.fs.at(`dev/vfio/${basename(group)}`), { force: true });
    this.owners.delete(`/dev/vfio/${basename(group)}`);
    rmSync(group, { recursive: true, force: true });
    rmSync(this.fs.at(`sys/bus/mdev/devices/${uuid}`), { force: true });
    rmSync(this.fs.at(dir), { recursive: true, force: true });
    const available = Number(readFileSync(this.fs.at(`${typeDir}/available_instances`), 'utf8'));
    writeFileSync(this.fs.at(`${typeDir}/available_instances`), `${available + 1}\n`);
    return null;
  }

  private pollDeferred(path: string): void {
    const m = /^\/sys\/bus\/pci\/devices\/([^/]+)\/driver$/.exec(path);
    const pending = m ? this.deferred.get(m[1]!) : undefined;
    if (!m || !pending || pending.driver === '') return;
    if (--pending.polls > 0) return;
    this.deferred.delete(m[1]!);
    this.link(m[1]!, pending.driver);
  }

  private attach(address: string, driver: string): void {
    const pending = this.deferred.get(address);
    if (pending && pending.driver === '' && pending.polls > 0) {
      pending.driver = driver;
      return;
    }
    this.link(address, driver);
  }

  private link(address: string, driver: string): void {
    this.fs.bind(address, driver);
    if (driver !== 'vfio-pci') return;
    this.fs.mkdir(`${this.fs.deviceDir(address)}/vfio-dev/vfio${this.fs.addresses().indexOf(address)}`);
    const group = this.groupOf(address);
    if (group !== null && !existsSync(this.fs.at(`dev/vfio/${group}`))) this.fs.file(`dev/vfio/${group}`, '');
  }

  private detach(address: string, driver: string): null {
    this.fs.unbind(address);
    if (driver !== 'vfio-pci') return null;
    rmSync(this.fs.at(`${this.fs.deviceDir(address)}/vfio-dev`), { recursive: true, force: true });
    const group = this.groupOf(address);
    if (group === null) return null;
    const members = readdirSync(this.fs.at(`sys/kernel/iommu_groups/${group}/devices`));
    if (!members.some((m) => this.fs.driverOf(m) === 'vfio-pci')) {
      rmSync(this.fs.at(`dev/vfio/${group}`), { force: true });
      this.owners.delete(`/dev/vfio/${group}`);
    }
    return null;
  }

  private groupOf(address: string): string | null {
    const link = join(this.fs.at(this.fs.deviceDir(address)), 'iommu_group');
    return existsSync(link) ? basename(realpathSync(link)) : null;
  }
}
