// A real, tiny guest: a 512-byte real-mode boot sector that writes "K" to COM1 and
// halts, booted by QEMU under one accelerator. Seeing the marker proves the
// accelerator executes guest code; it does not prove a stock kernel would boot.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Accelerator } from '../../../src-shared/host.js';
import type { HostProbeEnv } from './host-probe-env.js';
import { describeFailure } from './tool-output.js';

// mov dx, 0x3f8; mov al, 'K'; out dx, al; mov al, '\n'; out dx, al; cli; hlt; jmp $
const BOOT_CODE = [0xba, 0xf8, 0x03, 0xb0, 0x4b, 0xee, 0xb0, 0x0a, 0xee, 0xfa, 0xf4, 0xeb, 0xfe];
export const BOOT_MARKER = 'K';

export function bootSectorImage(): Uint8Array {
  const img = new Uint8Array(512);
  img.set(BOOT_CODE, 0);
  img[510] = 0x55;
  img[511] = 0xaa;
  return img;
}

export function bootProbeArgv(qemuPath: string, accel: Accelerator, imagePath: string): string[] {
  return [
    qemuPath,
    '-accel', accel,
    '-machine', 'pc',
    '-nodefaults',
    '-no-user-config',
    '-display', 'none',
    '-serial', 'stdio',
    '-drive', `file=${imagePath},format=raw,if=floppy`,
    '-no-reboot',
  ];
}

export interface BootProbeResult {
  accel: Accelerator;
  markerSeen: boolean;
  durationMs: number;
  /** One line for the evidence list. */
  detail: string;
}

// Measured here: under kvm_pvm SeaBIOS takes 4 s (idle) to 15 s (busy) before the
// boot sector prints, burning a core meanwhile; under TCG and on a bare-metal KVM host
// it is ~0.1 s. So a probe whose result decides the accelerator gets a generous bound,
// and one that is only evidence (no kvm_intel/kvm_amd: KVM is out anyway) a short one.
export const DEFAULT_BOOT_PROBE_TIMEOUT_MS = 10_000;
export const INFORMATIONAL_BOOT_PROBE_TIMEOUT_MS = 3_000;

export async function runBootProbe(
  env: HostProbeEnv,
  qemuPath: string,
  accel: Accelerator,
  timeoutMs = DEFAULT_BOOT_PROBE_TIMEOUT_MS,
): Promise<BootProbeResult> {
  const dir = await mkdtemp(join(env.tmpDir, `nv2h-boot-${accel}-`));
  try {
    const image = join(dir, 'boot.img');
    await writeFile(image, bootSectorImage());
    const r = await env.run(bootProbeArgv(qemuPath, accel, image), {
      timeoutMs,
      stopWhenStdoutIncludes: BOOT_MARKER,
    });
    const markerSeen = r.stdout.includes(BOOT_MARKER);
    const secs = (r.durationMs / 1000).toFixed(1);
    const detail = markerSeen
      ? `test boot sector under -accel ${accel} printed "${BOOT_MARKER}" after ${secs} s`
      : `test boot sector under -accel ${accel} printed nothing: ${describeFailure(r, timeoutMs)}`;
    return { accel, markerSeen, durationMs: r.durationMs, detail };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
