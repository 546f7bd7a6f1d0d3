// The NovaFile's device keys: `devices` (PCI addresses and USB devices in one list),
// [vm.NAME.looking_glass], and a capsule's `gpus`, down to the create specs nova up sends.
import { describe, expect, it } from 'vitest';
import { capsuleSpec, vmCreateSpec } from '../novafile-apply.js';
import { parseNovaFile } from './novafile-parser.js';

const parse = (toml: string) => parseNovaFile(`project = "lab"\n${toml}`, 'NovaFile.toml', '/home/dev/lab');

describe('VM devices in a NovaFile', () => {
  it('splits devices into PCI passthrough and USB, and sizes Looking Glass from its table', () => {
    const { config, diagnostics } = parse(
      '[vm.win]\ndevices = ["01:00.0", "usb:046D:C52B", "usb:1-1.2", "usb:tablet"]\n[vm.win.looking_glass]\nresolution = "2560x1440"\n',
    );
    expect(diagnostics).toEqual([]);
    const vm = config!.vms[0]!;
    expect(vm).toMatchObject({ pciDevices: ['0000:01:00.0'], usb: ['usb:046d:c52b', 'usb:1-1.2', 'usb:tablet'], lookingGlass: { resolution: '2560x1440' } });
    expect(vmCreateSpec(vm)).toMatchObject({ devices: [{ address: '0000:01:00.0' }], usb: ['usb:046d:c52b', 'usb:1-1.2', 'usb:tablet'], lookingGlass: { resolution: '2560x1440' } });
  });

  it('leaves a VM without them as it was', () => {
    const spec = vmCreateSpec(parse('[vm.plain]\n').config!.vms[0]!);
    expect(spec).not.toHaveProperty('devices');
    expect(spec).not.toHaveProperty('usb');
    expect(spec).not.toHaveProperty('lookingGlass');
  });

  it('points at the bad entry, saying what to write', () => {
    const bad = (toml: string) => parse(toml).diagnostics.map((d) => ({ line: d.line, message: d.message }));
    expect(bad('[vm.a]\ndevices = ["usb:printer"]\n')).toEqual([{ line: 3, message: expect.stringContaining('usb:046d:c52b') }]);
    expect(bad('[vm.a]\ndevices = ["01:00"]\n')).toEqual([{ line: 3, message: expect.stringContaining('is not a PCI address') }]);
    expect(bad('[vm.a]\ndevices = ["usb:tablet", "USB:tablet"]\n')).toEqual([{ line: 3, message: 'usb:tablet is listed twice' }]);
    expect(bad('[vm.a]\ndevices = "usb:tablet"\n')).toEqual([{ line: 3, message: expect.stringContaining('a list of devices') }]);
    expect(bad('[vm.a.looking_glass]\nresolution = "1440p"\n')).toEqual([{ line: 3, message: expect.stringContaining('WIDTHxHEIGHT') }]);
  });
});

describe('capsule GPUs in a NovaFile', () => {
  it('takes a list of nodes or "all" into the capsule spec', () => {
    const { config, diagnostics } = parse('[container.ml]\ncapsule = "ubuntu:22.04"\ngpus = ["renderD128", "/dev/dri/card0"]\n[container.all]\ncapsule = "ubuntu:22.04"\ngpus = "all"\n');
    expect(diagnostics).toEqual([]);
    const [ml, all] = config!.capsules;
    expect(capsuleSpec(ml!, () => 'NovaFile.toml').spec.gpus).toEqual(['renderD128', 'card0']);
    expect(capsuleSpec(all!, () => 'NovaFile.toml').spec.gpus).toBe('all');
  });

  it('takes an NVIDIA GPU by its CDI name', () => {
    const { config, diagnostics } = parse('[container.cuda]\ncapsule = "ubuntu:22.04"\ngpus = ["nvidia.com/gpu=0", "nvidia.com/gpu=1"]\n');
    expect(diagnostics).toEqual([]);
    expect(capsuleSpec(config!.capsules[0]!, () => 'NovaFile.toml').spec.gpus).toEqual(['nvidia.com/gpu=0', 'nvidia.com/gpu=1']);
  });

  it('refuses what is no GPU node, at its line and column', () => {
    const { diagnostics } = parse('[container.ml]\ncapsule = "ubuntu:22.04"\ngpus = ["sda"]\n');
    expect(diagnostics.map((d) => d.message)).toEqual([expect.stringContaining('renderD128')]);
    expect(diagnostics.map((d) => d.message)).toEqual([expect.stringContaining('nvidia.com/gpu=0')]);
    // The file has `project = "lab"` first: gpus is on its fourth line, its list from column 8.
    expect(diagnostics[0]).toMatchObject({ line: 4, column: 8 });
  });
});
