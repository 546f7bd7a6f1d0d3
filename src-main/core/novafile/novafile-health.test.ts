// depends_on and health tables: the typed values a good file gives, and each bad input at
// its line and column with a message that says what to write instead.
import { describe, expect, it } from 'vitest';
import { itReportsEachAtItsLine, type DiagnosticCase } from './diagnostic-cases.js';
import { parseNovaFile } from './novafile-parser.js';

const GOOD = `project = "lab"

[capsule.db]
capsule = "postgres:16"

[capsule.db.health]
exec = ["pg_isready", "-U", "postgres"]
interval = "2s"
start_period = "1m30s"

[capsule.web]
capsule = "nginx"
depends_on.db = { condition = "healthy" }
depends_on.boot = { condition = "completed" }

[capsule.boot]
capsule = "alpine"

[vm.app]
kernel = "/k"
depends_on = ["db", "web"]
health = { serial = "login:", timeout = "500ms", retries = 5 }

[vm.api]
kernel = "/k"
health.http = { port = 8080, path = "/healthz", status = 204 }
`;

describe('depends_on and health', () => {
  it('parse to dependencies with their conditions and health checks with their defaults', () => {
    const { config, diagnostics } = parseNovaFile(GOOD, 'NovaFile.toml', '/p');
    expect(diagnostics).toEqual([]);
    const capsule = (n: string) => config?.capsules.find((c) => c.name === n);
    const vm = (n: string) => config?.vms.find((v) => v.name === n);
    expect(capsule('db')?.health).toEqual({ probe: { kind: 'exec', command: ['pg_isready', '-U', 'postgres'] }, intervalMs: 2000, timeoutMs: 5000, retries: 3, startPeriodMs: 90_000 });
    expect(capsule('web')?.dependsOn).toEqual([{ name: 'db', condition: 'healthy' }, { name: 'boot', condition: 'completed' }]);
    expect(capsule('boot')?.dependsOn).toEqual([]);
    expect(vm('app')?.dependsOn).toEqual([{ name: 'db', condition: 'started' }, { name: 'web', condition: 'started' }]);
    expect(vm('app')?.health).toMatchObject({ probe: { kind: 'serial', pattern: 'login:' }, timeoutMs: 500, retries: 5 });
    expect(vm('api')?.health?.probe).toEqual({ kind: 'http', port: 8080, path: '/healthz', status: 204 });
  });

  const cases: DiagnosticCase[] = [
    {
      name: 'a depends_on naming nothing',
      toml: 'project = "x"\n[capsule.web]\ncapsule = "nginx"\ndepends_on = ["dbb"]\n[capsule.db]\ncapsule = "pg"\n',
      line: 4, column: 15, key: 'capsule.web.depends_on[0]', message: /"dbb", which is no VM or capsule of this file; did you mean "db"\?/,
    },
    {
      name: 'a table-form depends_on naming nothing',
      toml: 'project = "x"\n[vm.a]\nkernel = "/k"\ndepends_on.ghost = { condition = "started" }\n',
      line: 4, column: 12, key: 'vm.a.depends_on.ghost', message: /"ghost", which is no VM or capsule/,
    },
    {
      name: 'a cycle across kinds',
      toml: 'project = "x"\n[vm.a]\nkernel = "/k"\ndepends_on = ["b"]\n[capsule.b]\ncapsule = "pg"\ndepends_on = ["a"]\n',
      line: 7, column: 15, key: 'capsule.b.depends_on[0]', message: /cycle: a -> b -> a/,
    },
    {
      name: 'a guest depending on itself',
      toml: 'project = "x"\n[capsule.b]\ncapsule = "pg"\ndepends_on = ["b"]\n',
      line: 4, column: 15, key: 'capsule.b.depends_on[0]', message: /cannot depend on itself/,
    },
    {
      name: 'an unknown condition',
      toml: 'project = "x"\n[capsule.db]\ncapsule = "pg"\n[capsule.web]\ncapsule = "nginx"\ndepends_on.db = { condition = "ready" }\n',
      line: 6, column: 31, key: 'capsule.web.depends_on.db.condition', message: /"ready" is not a condition; use "started", "healthy" or "completed"/,
    },
    {
      name: 'healthy on a guest without a health check',
      toml: 'project = "x"\n[capsule.db]\ncapsule = "pg"\n[capsule.web]\ncapsule = "nginx"\ndepends_on.db = { condition = "healthy" }\n',
      line: 6, column: 12, key: 'capsule.web.depends_on.db', message: /no health check to wait for; add a \[capsule.db.health\] table/,
    },
    {
      name: 'a health check without a probe',
      toml: 'project = "x"\n[capsule.db]\ncapsule = "pg"\n\n[capsule.db.health]\ninterval = "5s"\n',
      line: 5, column: 1, key: 'capsule.db.health', message: /needs a probe; add one of exec, tcp, http/,
    },
    {
      name: 'a health check with two probes',
      toml: 'project = "x"\n[vm.a]\nkernel = "/k"\nhealth = { tcp = 22, serial = "login:" }\n',
      line: 4, column: 10, key: 'vm.a.health', message: /one probe; keep one of tcp, serial/,
    },
    {
      name: 'exec in a VM health check',
      toml: 'project = "x"\n[vm.a]\nkernel = "/k"\n[vm.a.health]\nexec = ["true"]\n',
      line: 5, column: 1, key: 'vm.a.health.exec', message: /unknown key "exec" in a VM's health check \("exec" belongs in a capsule's health check\)/,
    },
    {
      name: 'a duration without a unit',
      toml: 'project = "x"\n[capsule.db]\ncapsule = "pg"\nhealth.exec = ["true"]\nhealth.interval = "10"\n',
      line: 5, column: 19, key: 'capsule.db.health.interval', message: /"10" has no unit; write a number with a unit/,
    },
    {
      name: 'a serial pattern that is not a regular expression',
      toml: 'project = "x"\n[vm.a]\nkernel = "/k"\nhealth.serial = "login:("\n',
      line: 4, column: 17, key: 'vm.a.health.serial', message: /not a regular expression/,
    },
    {
      name: 'an http status out of range',
      toml: 'project = "x"\n[capsule.w]\ncapsule = "nginx"\nhealth.http = { port = 80, status = 700 }\n',
      line: 4, column: 37, key: 'capsule.w.health.http.status', message: /expected an HTTP status from 100 to 599, such as 200, got 700/,
    },
    {
      name: 'depends_on as a string',
      toml: 'project = "x"\n[capsule.w]\ncapsule = "nginx"\ndepends_on = "db"\n',
      line: 4, column: 14, key: 'capsule.w.depends_on', message: /expected a list of names, e.g. \["db"\]/,
    },
  ];

  itReportsEachAtItsLine(cases);
});
