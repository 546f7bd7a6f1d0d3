import { parse } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { findRedefinition, indexKeyPositions, type KeyPath } from './novafile-positions.js';

/** "line:column" of the key and of the value, for compact expectations. */
function at(source: string, path: KeyPath): { key: string; value: string; kind: string } | undefined {
  const location = indexKeyPositions(source).find(path);
  if (!location) return undefined;
  return {
    key: `${location.key.line}:${location.key.column}`,
    value: `${location.value.line}:${location.value.column}`,
    kind: location.kind,
  };
}

describe('indexKeyPositions', () => {
  it('indexes table headers and their keys', () => {
    const src = 'project = "x"\n\n[vm.win11]\n  cpu = 8\nmemory="16Gi"\n';
    expect(at(src, ['project'])).toEqual({ key: '1:1', value: '1:11', kind: 'value' });
    expect(at(src, ['vm'])).toEqual({ key: '3:2', value: '3:1', kind: 'implicit' });
    expect(at(src, ['vm', 'win11'])).toEqual({ key: '3:5', value: '3:1', kind: 'table' });
    expect(at(src, ['vm', 'win11', 'cpu'])).toEqual({ key: '4:3', value: '4:9', kind: 'value' });
    expect(at(src, ['vm', 'win11', 'memory'])).toEqual({ key: '5:1', value: '5:8', kind: 'value' });
  });

  it('follows dotted keys, with spaces around the dots', () => {
    const src = '[container.api]\nenv.API_KEY = "secret"\nenv . OTHER = "x"\n';
    expect(at(src, ['container', 'api', 'env'])).toEqual({ key: '2:1', value: '2:1', kind: 'implicit' });
    expect(at(src, ['container', 'api', 'env', 'API_KEY'])).toEqual({ key: '2:5', value: '2:15', kind: 'value' });
    expect(at(src, ['container', 'api', 'env', 'OTHER'])).toEqual({ key: '3:7', value: '3:15', kind: 'value' });
  });

  it('decodes quoted keys, dots and escapes included', () => {
    const src = '[vm."a.b"]\ncpu = 1\n[ vm . \'lit key\' ]\n"quo\\"ted" = 2\n"\\u00e9t\\u00e9" = 3\n';
    expect(at(src, ['vm', 'a.b'])).toEqual({ key: '1:5', value: '1:1', kind: 'table' });
    expect(at(src, ['vm', 'a.b', 'cpu'])?.key).toBe('2:1');
    expect(at(src, ['vm', 'lit key'])?.key).toBe('3:8');
    expect(at(src, ['vm', 'lit key', 'quo"ted'])).toEqual({ key: '4:1', value: '4:14', kind: 'value' });
    expect(at(src, ['vm', 'lit key', 'été'])?.value).toBe('5:19');
  });

  it('indexes elements of multi-line arrays and skips their comments', () => {
    const src = [
      'volumes = [ # a comment with [brackets] and key = "value"',
      '  "./a:/a",',
      '',
      '  # "./fake:/fake",',
      '  "./b:/b", "./c:/c"',
      ']',
      'after = 1',
    ].join('\n');
    expect(at(src, ['volumes', 0])?.value).toBe('2:3');
    expect(at(src, ['volumes', 1])?.value).toBe('5:3');
    expect(at(src, ['volumes', 2])?.value).toBe('5:13');
    expect(at(src, ['volumes', 3])).toBeUndefined();
    expect(at(src, ['after'])?.key).toBe('7:1');
  });

  it('skips the content of multi-line strings', () => {
    const src = [
      'a = """',
      '[not.a.table]',
      'fake = "key" \\""" still inside',
      '"""',
      "b = '''",
      'x = [',
      "'''",
      'c = """ends with quotes"""""',
      'd = 1',
    ].join('\n');
    const positions = indexKeyPositions(src);
    expect(positions.find(['not'])).toBeUndefined();
    expect(positions.find(['fake'])).toBeUndefined();
    expect(positions.find(['x'])).toBeUndefined();
    expect(at(src, ['b'])?.key).toBe('5:1');
    expect(at(src, ['c'])?.key).toBe('8:1');
    expect(at(src, ['d'])?.key).toBe('9:1');
    expect(parse(src)).toMatchObject({ d: 1 });
  });

  it('indexes inline tables, nested ones and ones inside arrays', () => {
    const src = 'cloud_init = { user = "dev", keys = ["k1", "k2"], nested = { deep = true } }\nlist = [{ a = 1 }, { a = 2 }]\n';
    expect(at(src, ['cloud_init'])?.value).toBe('1:14');
    expect(at(src, ['cloud_init', 'user'])).toEqual({ key: '1:16', value: '1:23', kind: 'value' });
    expect(at(src, ['cloud_init', 'keys', 1])?.value).toBe('1:44');
    expect(at(src, ['cloud_init', 'nested', 'deep'])).toEqual({ key: '1:62', value: '1:69', kind: 'value' });
    expect(at(src, ['list', 1, 'a'])?.key).toBe('2:22');
  });

  it('numbers arrays of tables and resolves sub-tables to the latest element', () => {
    const src = '[[x.y]]\na = 1\n[[x.y]]\na = 2\n[x.y.z]\nb = 3\n';
    expect(at(src, ['x', 'y', 0, 'a'])?.key).toBe('2:1');
    expect(at(src, ['x', 'y', 1])).toEqual({ key: '3:5', value: '3:1', kind: 'table' });
    expect(at(src, ['x', 'y', 1, 'a'])?.key).toBe('4:1');
    expect(at(src, ['x', 'y', 1, 'z', 'b'])?.key).toBe('6:1');
  });

  it('handles comments after values and headers, and CRLF line ends', () => {
    const src = 'a = 1 # one\r\n[t] # table\r\nb = "#not a comment" # real\r\nc = 1979-05-27 07:32:00Z\r\n';
    expect(at(src, ['a'])?.value).toBe('1:5');
    expect(at(src, ['t', 'b'])?.value).toBe('3:5');
    expect(at(src, ['t', 'c'])?.value).toBe('4:5');
  });

  it('finds where a key defined twice was first defined', () => {
    expect(findRedefinition('a = 1\n[t]\nb = 1\n[t]\n')).toEqual({
      path: ['t'],
      again: 'table',
      first: { key: { line: 2, column: 2 }, value: { line: 2, column: 1 }, kind: 'table' },
    });
    expect(findRedefinition('[t]\nb = 1\nc = 2\nb = 3\n')).toMatchObject({ path: ['t', 'b'], again: 'key', first: { key: { line: 2, column: 1 } } });
    expect(findRedefinition('[a]\nx.y = 1\n[a.x]\n')).toMatchObject({ path: ['a', 'x'], again: 'table', first: { kind: 'implicit', key: { line: 2 } } });
    // Inside an inline table there is no line of its own to stand for the repeat.
    expect(findRedefinition('a = { b = 1, b = 2 }\n')).toBeUndefined();
    expect(findRedefinition('a = 1\n')).toBeUndefined();
  });

  it('has only the root for text that is not TOML', () => {
    const positions = indexKeyPositions('a = 1\nb = [\n');
    expect(positions.find(['a'])).toBeUndefined();
    expect(positions.closest(['a']).path).toEqual([]);
  });

  it('finds the closest written ancestor of an unwritten key', () => {
    const positions = indexKeyPositions('project = "x"\n\n[container.api]\nnetwork = "lan"\n');
    expect(positions.closest(['container', 'api', 'capsule'])).toEqual({
      path: ['container', 'api'],
      location: { key: { line: 3, column: 12 }, value: { line: 3, column: 1 }, kind: 'table' },
    });
    expect(positions.closest(['nothing', 'here']).path).toEqual([]);
  });

  it('never throws, whatever the text', () => {
    const valid = 'project = "x"\n[vm.a]\ncmdline = """multi\nline"""\nenv = { A = "1", B = [1, 2] }\n';
    for (let n = 0; n <= valid.length; n++) expect(() => indexKeyPositions(valid.slice(0, n))).not.toThrow();
    for (const junk of ['[', '[[', '"', "'''", 'a = [1, {', '= = =', 'a."b', '\\', '{}', '[a.]\n.b = 1', 'a = {b = [}']) {
      expect(() => indexKeyPositions(junk)).not.toThrow();
    }
  });
});
