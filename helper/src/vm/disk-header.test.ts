// Headers as the tools write them (built here byte by byte from each format's layout),
// and the hostile ones: VMDK descriptors that name extents elsewhere.
import { describe, expect, it } from 'vitest';
import { declaredFormatProblem, formatFromHeader, HEADER_BYTES } from './disk-header.js';

function header(magic: string, at = 0): Buffer {
  const b = Buffer.alloc(HEADER_BYTES);
  b.write(magic, at, 'latin1');
  return b;
}

function sparseVmdk(capacitySectors: bigint): Buffer {
  const b = header('KDMV');
  b.writeBigUInt64LE(capacitySectors, 12);
  return b;
}

/** A qcow2 v3 header with these incompatible-feature bits. */
function qcow2(incompatible: bigint): Buffer {
  const b = header('QFI\xfb');
  b.writeUInt32BE(3, 4);
  b.writeBigUInt64BE(incompatible, 72);
  return b;
}

const DESCRIPTOR = Buffer.from('# Disk DescriptorFile\nversion=1\ncreateType="monolithicFlat"\nRW 2048 FLAT "/root/secret" 0\n');

describe('formatFromHeader', () => {
  it.each([
    ['qcow2', header('QFI\xfb')],
    ['vmdk', sparseVmdk(20480n)],
    ['vmdk', header('COWD')],
    ['vhdx', header('vhdxfile')],
    ['raw', Buffer.alloc(HEADER_BYTES)],
    ['raw', Buffer.from('ab')],
  ] as const)('%s', (format, head) => {
    expect(formatFromHeader(head)).toEqual({ format, problem: null });
  });

  it('finds the VDI signature at offset 64', () => {
    const b = Buffer.alloc(HEADER_BYTES);
    b.writeUInt32LE(0xbeda107f, 64);
    expect(formatFromHeader(b).format).toBe('vdi');
  });

  it('refuses VMDKs whose data sits in files their descriptor names', () => {
    expect(formatFromHeader(DESCRIPTOR)).toMatchObject({ format: null, problem: expect.stringMatching(/several files/) });
    // A sparse header with no capacity hands over to its embedded descriptor.
    expect(formatFromHeader(sparseVmdk(0n))).toMatchObject({ format: null, problem: expect.stringMatching(/several files/) });
  });

  it('refuses a qcow2 whose header flags an external data file, and only then', () => {
    expect(formatFromHeader(qcow2(0b100n))).toMatchObject({ format: null, problem: expect.stringMatching(/external data file/) });
    // Bit 0 is the dirty flag, harmless.
    expect(formatFromHeader(qcow2(0b001n))).toEqual({ format: 'qcow2', problem: null });
  });

  it('names formats Nova does not take', () => {
    expect(formatFromHeader(header('QED\0')).problem).toMatch(/QED image/);
    expect(formatFromHeader(header('conectix')).problem).toMatch(/VHD/);
  });
});

describe('declaredFormatProblem', () => {
  it('looks into a declared VMDK only, and never reads a raw file as anything else', () => {
    expect(declaredFormatProblem('vmdk', DESCRIPTOR)).toMatch(/several files/);
    // Without the descriptor's first line QEMU still reads it as one: only sparse headers pass.
    expect(declaredFormatProblem('vmdk', Buffer.from('version=1\nRW 2048 FLAT "/root/secret" 0\n'))).toMatch(/several files/);
    expect(declaredFormatProblem('vmdk', sparseVmdk(8n))).toBeNull();
    expect(declaredFormatProblem('raw', header('QFI\xfb'))).toBeNull();
    expect(declaredFormatProblem('qcow2', header('QFI\xfb'))).toBeNull();
    expect(declaredFormatProblem('qcow2', qcow2(0b100n))).toMatch(/external data file/);
  });
});
