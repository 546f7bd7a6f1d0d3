import { parse } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { editTomlTable } from './toml-table-edit.js';

const FILE = `# the lab
project = "lab"   # its name

[capsule.db]
capsule = "postgres:16"  # pinned
memory = "64Mi"    # small on purpose
command = [
  "postgres",   # the server
  "-c", "fsync=off",
]
env.PGDATA = "/data"
env.TZ = 'UTC'

# the web tier
[capsule.web]
capsule = "nginx"
memory = "64Mi"

[capsule.web.health]
http = { port = 80 }
`;

const db = [['capsule', 'db']];

describe('editTomlTable', () => {
  it("replaces only a key's value, keeping its spacing and comment and the rest of the file", () => {
    const out = editTomlTable(FILE, db, [{ key: 'memory', value: '"96Mi"' }]);
    expect(out).toBe(FILE.replace('memory = "64Mi"    # small on purpose', 'memory = "96Mi"    # small on purpose'));
    expect((parse(out) as { capsule: { web: { memory: string } } }).capsule.web.memory).toBe('64Mi');
  });

  it('replaces a multi-line array whole, its inner comments included, and nothing after it', () => {
    const out = editTomlTable(FILE, db, [{ key: 'command', value: '["postgres"]' }]);
    expect(out).toContain('command = ["postgres"]\nenv.PGDATA = "/data"\n');
    expect(out.replace('command = ["postgres"]', '')).toBe(FILE.replace(/command = \[[^\]]*\]/, ''));
  });

  it('turns dotted keys into one key in the place of the first', () => {
    const out = editTomlTable(FILE, db, [{ key: 'env', value: '{ PGDATA = "/srv" }' }]);
    expect(out).toContain(']\nenv = { PGDATA = "/srv" }\n\n# the web tier');
    expect(out).not.toContain('TZ');
    expect(parse(out)).toMatchObject({ capsule: { db: { env: { PGDATA: '/srv' } } } });
  });

  it("appends a key the table lacks after its last key, before the comments of the next table", () => {
    const out = editTomlTable(FILE, db, [{ key: 'cpu', value: '1.5' }, { key: 'pids', value: '64' }]);
    expect(out).toContain(`env.TZ = 'UTC'\ncpu = 1.5\npids = 64\n\n# the web tier`);
  });

  it('removes a key whose value is null, line and comment', () => {
    const out = editTomlTable(FILE, db, [{ key: 'memory', value: null }]);
    expect(out).toBe(FILE.replace('memory = "64Mi"    # small on purpose\n', ''));
  });

  it('edits the table asked for, not a table of the same key elsewhere', () => {
    const out = editTomlTable(FILE, [['capsule', 'web']], [{ key: 'memory', value: '"128Mi"' }]);
    expect(parse(out)).toMatchObject({ capsule: { db: { memory: '64Mi' }, web: { memory: '128Mi', health: { http: { port: 80 } } } } });
    expect(out.split('\n').filter((l, i) => l !== FILE.split('\n')[i])).toEqual(['memory = "128Mi"']);
  });

  it('accepts the alias header and keeps CRLF line endings', () => {
    const crlf = '[container.db]\r\ncapsule = "x"\r\n';
    expect(editTomlTable(crlf, [['capsule', 'db'], ['container', 'db']], [{ key: 'memory', value: '"1Gi"' }])).toBe('[container.db]\r\ncapsule = "x"\r\nmemory = "1Gi"\r\n');
  });

  it('adds a newline before a key appended to a last line that had none', () => {
    expect(editTomlTable('[vm.a]\ncpu = 1', [['vm', 'a']], [{ key: 'memory', value: '"1Gi"' }])).toBe('[vm.a]\ncpu = 1\nmemory = "1Gi"\n');
  });

  it('skips strings that look like headers or comments', () => {
    const text = `[vm.a]\ncmdline = "console=ttyS0 # [vm.b]"\nnote = """\n[vm.a]\nmemory = 1\n"""\nmemory = "1Gi"\n`;
    const out = editTomlTable(text, [['vm', 'a']], [{ key: 'memory', value: '"2Gi"' }]);
    expect(out).toBe(text.replace('memory = "1Gi"', 'memory = "2Gi"'));
  });

  it('refuses a table that has no header of its own, and a key written as a sub-table', () => {
    expect(() => editTomlTable('capsule.db = { capsule = "x" }\n', db, [{ key: 'memory', value: '"1Gi"' }])).toThrow(/no \[capsule\.db\] table header/);
    expect(() => editTomlTable(FILE, [['capsule', 'web']], [{ key: 'health', value: '{}' }])).toThrow(/\[capsule\.web\.health\] is a table of its own/);
  });

  it('names the line of text it cannot scan', () => {
    expect(() => editTomlTable('[vm.a]\ncmdline = "open\n', [['vm', 'a']], [])).toThrow(/unterminated string at line 2/);
  });
});
