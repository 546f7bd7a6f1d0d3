// Shares, autostart and the restart policy in a NovaFile: bad values at their own line and
// column, relative share folders resolved from the NovaFile's folder, nothing to do right
// after an up, and each edit planned with its cost and applied through vm.update (a
// running VM restarts for new shares; autostart and the restart policy change in place).
import { describe, expect, it } from 'vitest';
import { vmUpdateSpec } from '../novafile-apply.js';
import { formatNovaFileDiagnostic, parseNovaFile, validateNovaFile } from '../novafile/novafile-parser.js';
import { desiredState } from './desired-state.js';
import { planProject } from './project-plan.js';
import { appliedState } from './testing/applied-state.js';

const head = 'project = "x"\n[vm.a]\n';

const CASES: Array<{ name: string; toml: string; line: number; column: number; key: string; message: string }> = [
  { name: 'a share without a guest path', toml: `${head}shares = ["./src"]\n`, line: 3, column: 11, key: 'vm.a.shares[0]', message: '"./src"' },
  { name: 'a share with a relative guest path', toml: `${head}shares = ["./src:/mnt/a", "./b:mnt/b"]\n`, line: 3, column: 27, key: 'vm.a.shares[1]', message: 'mnt/b' },
  { name: 'two shares for one guest path', toml: `${head}shares = ["./a:/mnt/x", "./b:/mnt/x:ro"]\n`, line: 3, column: 25, key: 'vm.a.shares[1]', message: '/mnt/x is shared twice in this VM' },
  { name: 'shares as one string', toml: `${head}shares = "./src:/mnt/src"\n`, line: 3, column: 10, key: 'vm.a.shares', message: 'a list of shared folders' },
  { name: 'autostart as a word', toml: `${head}autostart = "yes"\n`, line: 3, column: 13, key: 'vm.a.autostart', message: 'expected true, false, or a table such as { order = 1, delay = "10s" }' },
  { name: 'an autostart delay that is no duration', toml: `${head}autostart = { order = 1, delay = "soon" }\n`, line: 3, column: 34, key: 'vm.a.autostart.delay', message: '"soon"' },
  { name: 'an autostart delay past the bound', toml: `${head}[vm.a.autostart]\ndelay = "2h"\n`, line: 4, column: 9, key: 'vm.a.autostart.delay', message: 'longer than 600s' },
  { name: 'a negative autostart order', toml: `${head}[vm.a.autostart]\norder = -1\n`, line: 4, column: 9, key: 'vm.a.autostart.order', message: 'a whole number from 0 to 999' },
  { name: 'an autostart key it does not have', toml: `${head}autostart = { after = "db" }\n`, line: 3, column: 15, key: 'vm.a.autostart.after', message: 'unknown key "after"' },
  { name: "a capsule's restart policy on a VM", toml: `${head}restart = "on-failure:3"\n`, line: 3, column: 11, key: 'vm.a.restart', message: '"on-failure:3" is not a restart policy; use "no", "on-crash" or "always"' },
  { name: "a capsule's autostart as a number", toml: 'project = "x"\n[capsule.c]\ncapsule = "alpine:3.20"\nautostart = 1\n', line: 4, column: 13, key: 'capsule.c.autostart', message: 'expected true, false' },
];

describe('shares, autostart and restart keys', () => {
  it.each(CASES)('$name', ({ toml, line, column, key, message }) => {
    const result = validateNovaFile(toml, 'NovaFile.toml');
    const match = result.diagnostics.find((d) => d.message.includes(message));
    expect(match, `no diagnostic mentions ${JSON.stringify(message)} in:\n${result.diagnostics.map(formatNovaFileDiagnostic).join('\n')}`).toMatchObject({ severity: 'error', line, column, key });
  });

  it('resolves share folders from the NovaFile folder and reads autostart and restart', () => {
    const toml = `${head}shares = ["./src:/mnt/src:ro", "/srv/data:/data"]\nautostart = { order = 3, delay = "1m" }\nrestart = "always"\n[capsule.c]\ncapsule = "alpine:3.20"\nautostart = true\n`;
    const { config, diagnostics } = parseNovaFile(toml, 'NovaFile.toml', '/p');
    expect(diagnostics).toEqual([]);
    expect(config!.vms[0]).toMatchObject({
      shares: [{ source: '/p/src', target: '/mnt/src', readOnly: true }, { source: '/srv/data', target: '/data', readOnly: false }],
      autostart: { order: 3, delaySeconds: 60 },
      restart: 'always',
    });
    expect(config!.capsules[0]?.autostart).toEqual({ order: 0, delaySeconds: 0 });
    expect(validateNovaFile(`${head}autostart = false\n`, 'NovaFile.toml').diagnostics).toEqual([]);
  });
});

const FILE = `project = "lab"

[vm.app]
kernel = "/boot/vmlinux"
memory = "256Mi"
accel = "tcg"
display = "none"
shares = ["./src:/mnt/src:ro"]
autostart = true
restart = "on-crash"

[capsule.db]
capsule = "alpine:3.20"
autostart = { order = 2 }
`;

function desired(text: string) {
  const { config, diagnostics } = parseNovaFile(text, 'NovaFile.toml', '/p');
  if (!config) throw new Error(JSON.stringify(diagnostics));
  return desiredState(config);
}

describe('planning shares, autostart and restart', () => {
  it('finds nothing to do right after an up', () => {
    const d = desired(FILE);
    expect(planProject(d, appliedState(d)).changes).toEqual([]);
  });

  it('restarts a running VM for a new share, changes autostart and restart in place, and sends each through vm.update', () => {
    const actual = appliedState(desired(FILE));
    const edited = desired(FILE.replace('shares = ["./src:/mnt/src:ro"]', 'shares = ["./src:/mnt/src:ro", "./out:/mnt/out"]'));
    expect(planProject(edited, actual).changes).toEqual([
      { kind: 'vm', name: 'app', class: 'restart', fields: [{ field: 'shares', old: '/p/src:/mnt/src:ro', new: '/p/src:/mnt/src:ro, /p/out:/mnt/out', class: 'restart', drift: false }] },
    ]);
    expect(vmUpdateSpec(edited.vms[0]!.config, actual.vms[0]!.definition)).toEqual({
      name: 'app',
      shares: [{ source: '/p/src', target: '/mnt/src', readOnly: true }, { source: '/p/out', target: '/mnt/out', readOnly: false }],
    });

    const lifecycle = desired(FILE.replace('autostart = true', 'autostart = { order = 5, delay = "30s" }').replace('restart = "on-crash"', '').replace('autostart = { order = 2 }', 'autostart = false'));
    expect(planProject(lifecycle, actual).changes).toEqual([
      {
        kind: 'vm', name: 'app', class: 'update', fields: [
          { field: 'autostart', old: 'order 0, delay 0s', new: 'order 5, delay 30s', class: 'update', drift: false },
          { field: 'restart', old: 'on-crash', new: 'no', class: 'update', drift: false },
        ],
      },
      { kind: 'capsule', name: 'db', class: 'update', fields: [{ field: 'autostart', old: 'order 2, delay 0s', new: null, class: 'update', drift: false }] },
    ]);
    expect(vmUpdateSpec(lifecycle.vms[0]!.config, actual.vms[0]!.definition)).toEqual({ name: 'app', autostart: { order: 5, delaySeconds: 30 }, restart: 'no' });
  });
});
