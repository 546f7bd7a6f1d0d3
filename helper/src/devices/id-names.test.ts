import { describe, expect, it } from 'vitest';
import { FAKE_PCI_IDS, FAKE_USB_IDS } from './testing/fake-sysfs.js';
import { lazyIdNames, parseIds } from './id-names.js';

describe('pci.ids / usb.ids', () => {
  const pci = parseIds(FAKE_PCI_IDS);

  it('names vendors, devices and subsystems, whatever the case or 0x prefix', () => {
    expect(pci.vendor('0x10DE')).toBe('NVIDIA Corporation');
    expect(pci.device('10de', '2684')).toBe('AD102 [GeForce RTX 4090]');
    expect(pci.subsystem('10de', '2684', '1043', '889d')).toBe('ROG Strix RTX 4090');
    expect(pci.device('10de', 'ffff')).toBeNull();
  });

  it('names a class by its subclass as lspci does, else by its class', () => {
    expect(pci.pciClass('030000')).toBe('VGA compatible controller');
    expect(pci.pciClass('0x040300')).toBe('Audio device');
    expect(pci.pciClass('030500')).toBe('Display controller');
    expect(pci.pciClass('ff0000')).toBeNull();
  });

  it('stops a vendor at the next section of usb.ids', () => {
    const usb = parseIds(FAKE_USB_IDS);
    expect(usb.device('046d', 'c52b')).toBe('Unifying Receiver');
    expect(usb.vendor('0409')).toBeNull();
  });

  it('gives no names, not an error, when no file exists', async () => {
    const names = await lazyIdNames(['/nonexistent/nv10/pci.ids'])();
    expect(names.vendor('10de')).toBeNull();
  });
});
