// `host = "..."` on a guest: the syntax everywhere, and whether the host is saved when
// the caller knows the host list, at the value's line and column.
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
  it('is taken, with the host, when the host is saved', () => {
    const { config, diagnostics } = parseNovaFile(FILE, 'NovaFile.toml', '/p', { knownHosts: ['closet'] });
    expect(diagnostics).toEqual([]);
    expect(config?.vms[0]?.host).toBe('closet');
    expect(config?.capsules[0]?.host).toBe('local');
  });

  it('names a host that is not saved at its line, with the closest saved one', () => {
    const result = validateNovaFile(FILE.replace('"closet"', '"closte"'), 'NovaFile.toml', { knownHosts: ['closet', 'attic'] });
    expect(result.valid).toBe(false);
    expect(result.diagnostics).toEqual([
      expect.objectContaining({ severity: 'error', line: 5, column: 8, key: 'vm.web.host', message: 'host "closte" is not a saved host; did you mean "closet"?; add it with "nova host add closte ssh://..."' }),
    ]);
  });

  it('says so when no host is saved at all', () => {
    const result = validateNovaFile(FILE, 'NovaFile.toml', { knownHosts: [] });
    expect(result.diagnostics).toEqual([expect.objectContaining({ line: 5, message: expect.stringContaining('no hosts are saved') })]);
  });

  it('refuses a host that is not a name, whatever the host list', () => {
    const result = validateNovaFile(FILE.replace('"closet"', '"ssh://x"'), 'NovaFile.toml', { knownHosts: [] });
    expect(result.diagnostics).toEqual([expect.objectContaining({ severity: 'error', line: 5, key: 'vm.web.host', message: expect.stringContaining('is not a host name') })]);
  });

  it('checks only the syntax without a host list, and takes "local" and no host as this machine', () => {
    expect(parseNovaFile(FILE, 'NovaFile.toml').diagnostics).toEqual([]);
    const { config } = parseNovaFile(FILE.replace('host = "closet"\n', ''), 'NovaFile.toml');
    expect(config?.vms[0]?.host).toBeUndefined();
  });
});
