import { describe, expect, it } from 'vitest';
import { parseUsbSelector } from './vocabulary/usb-selector.js';
import { formatMdevSpec, lookingGlassBytes, LookingGlassSchema, parseMdevSpec, passthroughFields, usbDeviceId, usbTargetOf } from './vm-passthrough.js';

const MIB = 1024 * 1024;

describe('USB selectors', () => {
  it('reads vendor:product as lsusb prints it, a host port, or an emulated model, in one canonical form', () => {
    expect(parseUsbSelector('usb:046D:C52B')).toEqual({ ok: true, value: 'usb:046d:c52b' });
    expect(parseUsbSelector('usb:1-1.2')).toEqual({ ok: true, value: 'usb:1-1.2' });
    expect(parseUsbSelector('USB:Tablet')).toEqual({ ok: true, value: 'usb:tablet' });
  });

  it('refuses what is none of them, saying what to write', () => {
    for (const bad of ['046d:c52b', 'usb:46d:c52b', 'usb:0-1', 'usb:1-0', 'usb:printer', 'usb:1-1.2/x']) {
      const r = parseUsbSelector(bad);
      expect(r.ok, bad).toBe(false);
      expect(r.ok ? '' : r.message).toContain('usb:046d:c52b');
    }
  });

  it('names each for QEMU the same way at start and on hot-plug', () => {
    expect(usbTargetOf('usb:046d:c52b')).toEqual({ kind: 'product', vendorId: '046d', productId: 'c52b' });
    expect(usbTargetOf('usb:3-1.4.2')).toEqual({ kind: 'port', bus: 3, port: '1.4.2' });
    expect(usbTargetOf('usb:tablet')).toEqual({ kind: 'emulated', model: 'tablet' });
    expect(usbDeviceId('usb:046d:c52b')).toBe('usb-046d-c52b');
    expect(usbDeviceId('usb:3-1.4.2')).toBe('usb-3-1.4.2');
  });
});

describe('Looking Glass', () => {
  it('sizes the region by its documented rule: two 32-bit frames plus 10 MiB, up to a power of two', () => {
    expect(lookingGlassBytes('1920x1080')).toBe(32 * MIB);
    expect(lookingGlassBytes('2560x1440')).toBe(64 * MIB);
    expect(lookingGlassBytes('3840x2160')).toBe(128 * MIB);
    expect(lookingGlassBytes('7680x4320')).toBe(512 * MIB);
  });

  it('takes a resolution as WIDTHxHEIGHT only', () => {
    expect(LookingGlassSchema.parse({ resolution: '2560x1440' })).toEqual({ resolution: '2560x1440' });
    expect(() => LookingGlassSchema.parse({ resolution: '1440p' })).toThrow(/WIDTHxHEIGHT/);
  });
});

describe('a new VM\'s USB and Looking Glass fields', () => {
  it('gives every q35 VM a controller to hot-plug into, and dedupes devices', () => {
    expect(passthroughFields('q35', {})).toEqual({ usb: [] });
    expect(passthroughFields('q35', { usb: ['usb:tablet', 'usb:tablet'] })).toEqual({ usb: ['usb:tablet'] });
  });

  it('refuses USB and Looking Glass on a microvm, which has no bus for them', () => {
    expect(passthroughFields('microvm', {})).toEqual({});
    expect(() => passthroughFields('microvm', { usb: ['usb:tablet'] })).toThrow(/q35/);
    expect(() => passthroughFields('microvm', { lookingGlass: { resolution: '1920x1080' } })).toThrow(/q35/);
  });
});

describe('mediated device specs', () => {
  it('reads mdev:PARENT:TYPE with the parent in canonical form, and writes it back', () => {
    expect(parseMdevSpec('mdev:00:02.0:i915-GVTg_V5_4')).toEqual({ ok: true, value: { parent: '0000:00:02.0', type: 'i915-GVTg_V5_4' } });
    expect(parseMdevSpec('MDEV:0000:41:00.0:nvidia:63')).toEqual({ ok: true, value: { parent: '0000:41:00.0', type: 'nvidia:63' } });
    expect(formatMdevSpec({ parent: '0000:00:02.0', type: 'i915-GVTg_V5_4' })).toBe('mdev:0000:00:02.0:i915-GVTg_V5_4');
    for (const bad of ['0000:00:02.0:i915', 'mdev:0000:00:02.0', 'mdev:zz:02.0:x', 'mdev:0000:00:02.0:has space']) {
      const r = parseMdevSpec(bad);
      expect(r.ok, bad).toBe(false);
      expect(r.ok ? '' : r.message).toContain('mdev:PARENT:TYPE');
    }
  });
});
