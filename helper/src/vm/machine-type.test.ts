import { describe, expect, it } from 'vitest';
import { parseMachineAlias } from './machine-type.js';

const HELP = [
  'Supported machines are:',
  'microvm              microvm (i386)',
  'pc                   Standard PC (i440FX + PIIX, 1996) (alias of pc-i440fx-7.2)',
  'pc-q35-7.2           Standard PC (Q35 + ICH9, 2009)',
  'q35                  Standard PC (Q35 + ICH9, 2009) (alias of pc-q35-7.2)',
  'pc-q35-7.1           Standard PC (Q35 + ICH9, 2009)',
].join('\n');

describe('parseMachineAlias', () => {
  it('resolves an alias to the versioned type it stands for', () => {
    expect(parseMachineAlias(HELP, 'q35')).toBe('pc-q35-7.2');
  });
  it('gives a type that is no alias as itself, and null for one QEMU lacks', () => {
    expect(parseMachineAlias(HELP, 'microvm')).toBe('microvm');
    expect(parseMachineAlias(HELP, 'pc-q35-7.1')).toBe('pc-q35-7.1');
    expect(parseMachineAlias(HELP, 'virt')).toBeNull();
  });
});
