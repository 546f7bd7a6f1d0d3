// `host = "..."` on a guest: the syntax everywhere, registration when the caller knows
// the host list, and a guest for another host refused by plan and up (not applied yet).
import { describe, expect, it } from 'vitest';
import { parseNovaFile, validateNovaFile } from './novafile-parser.js';

// One guest per host kind: another host's (line 5) and this one's.
const FILE = [
  'project = "lab"',
  '',
  '[vm.web]',
  'kernel = "/k"',
  'host = "closet"',
  '[capsule.db]',
  'capsule = "postgres:16"',
  'host = "local"',
].join('\n');

describe('host = "NAME" on a guest', () => {
  it('is refused at its line by plan and up (no options): placing guests elsewhere is not applied yet', () => {
    const { config, diagnostics } = parseNovaFile(FILE, 'NovaFile.toml');
    expect(config).toBeNull();
    expect(diagnostics).toEqual([
      expect.objectContaining({ severity: 'error', line: 5, column: 8, key: 'vm.web.host', message: expect.stringContaining('nova --host closet') }),
    ]);
  });

  it('is a warning for nova validate when the host is registered', () => {
    const result = validateNovaFile(FILE, 'NovaFile.toml', { knownHosts: ['closet'], remoteGuests: 'warn' });
    expect(result.valid).toBe(true);
    expect(result.diagnostics).toEqual([expect.objectContaining({ severity: 'warning', line: 5, key: 'vm.web.host' })]);
  });

  it('names an unregistered host at its line, with the closest registered one', () => {
    const result = validateNovaFile(FILE.replace('"closet"', '"closte"'), 'NovaFile.toml', { knownHosts: ['closet', 'attic'], remoteGuests: 'warn' });
    expect(result.valid).toBe(false);
    expect(result.diagnostics).toEqual([
      expect.objectContaining({ severity: 'error', line: 5, column: 8, message: 'host "closte" is not registered; did you mean "closet"?; add it with "nova host add closte ssh://..."' }),
    ]);
  });

  it('refuses a host that is not a name, whatever the registry', () => {
    const result = validateNovaFile(FILE.replace('"closet"', '"ssh://x"'), 'NovaFile.toml', { knownHosts: [], remoteGuests: 'warn' });
    expect(result.diagnostics).toEqual([expect.objectContaining({ severity: 'error', line: 5, key: 'vm.web.host', message: expect.stringContaining('is not a host name') })]);
  });

  it('takes "local" and no host as this machine', () => {
    const { config, diagnostics } = parseNovaFile(FILE.replace('host = "closet"\n', ''), 'NovaFile.toml');
    expect(diagnostics).toEqual([]);
    expect(config).not.toBeNull();
  });
});
