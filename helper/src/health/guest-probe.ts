// The probe a guest's check asks for, built once per run: exec through the capsule manager,
// tcp and http to the guest's address, serial on the VM's console log. The kinds a guest
// cannot run were refused at create and update (healthCheckProblem).
import type { HealthProbe } from '../../../src-shared/health.js';
import { execProbe, type CapsuleExec } from './exec-probe.js';
import type { Probe } from './health-monitor.js';
import { httpProbe } from './http-probe.js';
import { serialProbe } from './serial-probe.js';
import { tcpProbe, type AddressOf } from './tcp-probe.js';

export interface GuestChannels {
  /** Capsules: a command in the running container. */
  exec?: { capsules: CapsuleExec; name: string };
  /** The guest's address on its Nova network, when it has one. */
  addressOf?: AddressOf;
  /** VMs: the serial console's log of this run, and the folder it must lie in. */
  serial?: { root: string; logPath: string };
}

function refused(line: string): Probe {
  return () => Promise.resolve({ ok: false, line });
}

export function probeFor(probe: HealthProbe, timeoutMs: number, channels: GuestChannels): Probe {
  switch (probe.kind) {
    case 'exec':
      return channels.exec ? execProbe(channels.exec.capsules, channels.exec.name, probe.command, timeoutMs) : refused('an exec check needs a capsule');
    case 'tcp':
      return channels.addressOf ? tcpProbe(channels.addressOf, probe.port) : refused('a tcp check needs the guest on a Nova network');
    case 'http':
      return channels.addressOf ? httpProbe(channels.addressOf, probe.port, probe.path, probe.status) : refused('an http check needs the guest on a Nova network');
    case 'serial':
      return channels.serial ? serialProbe(channels.serial.root, channels.serial.logPath, probe.pattern) : refused('a serial check needs a VM');
  }
}
