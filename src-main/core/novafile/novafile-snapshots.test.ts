// [snapshots], project-wide and per guest: the policy each guest ends up with, and each
// bad input at its line.
import { describe, expect, it } from 'vitest';
import { itReportsEachAtItsLine, type DiagnosticCase } from './diagnostic-cases.js';
import { parseNovaFile } from './novafile-parser.js';

const GOOD = `project = "lab"

[snapshots]
schedule = "daily 02:00"
keep_daily = 7
keep_weekly = 4
max_total = 30
before_up = true
keep_forever = ["baseline"]

[vm.db]
kernel = "/k"
snapshots = { schedule = "hourly", keep_hourly = 24, keep_forever = ["pre-migration"] }

[capsule.web]
capsule = "nginx"
`;

describe('[snapshots]', () => {
  it("gives each guest the project's policy with its own keys over it", () => {
    const { config, diagnostics } = parseNovaFile(GOOD, 'NovaFile.toml', '/p');
    expect(diagnostics).toEqual([]);
    expect(config?.snapshots).toEqual({ schedule: { every: 'day', hour: 2, minute: 0 }, keep: { daily: 7, weekly: 4, maxTotal: 30 }, beforeUp: true, keepForever: ['baseline'] });
    expect(config?.vms[0]?.snapshots).toEqual({
      schedule: { every: 'hour' },
      keep: { daily: 7, weekly: 4, maxTotal: 30, hourly: 24 },
      beforeUp: true,
      keepForever: ['baseline', 'pre-migration'],
    });
    expect(config?.capsules[0]?.snapshots).toEqual(config?.snapshots);
  });

  it('reads every schedule the issue lists, and a weekday', () => {
    const schedule = (s: string) => parseNovaFile(`project = "x"\n[snapshots]\nschedule = "${s}"\n`, 'N', '/p').config?.snapshots?.schedule;
    expect(schedule('hourly')).toEqual({ every: 'hour' });
    expect(schedule('daily')).toEqual({ every: 'day', hour: 0, minute: 0 });
    expect(schedule('weekly')).toEqual({ every: 'week', weekday: 1, hour: 0, minute: 0 });
    expect(schedule('weekly sun 03:30')).toEqual({ every: 'week', weekday: 0, hour: 3, minute: 30 });
  });

  const cases: DiagnosticCase[] = [
    { name: 'a schedule that does not parse', toml: 'project = "x"\n[snapshots]\nschedule = "every day"\n', line: 3, column: 12, key: 'snapshots.schedule', message: /"every day" is not a snapshot schedule; use "hourly", "daily", "daily 02:00"/ },
    { name: 'a time of day out of range', toml: 'project = "x"\n[snapshots]\nschedule = "daily 25:00"\n', line: 3, column: 12, key: 'snapshots.schedule', message: /"25:00" is not a time of day/ },
    { name: 'a retention count below zero', toml: 'project = "x"\n[snapshots]\nkeep_daily = -1\n', line: 3, column: 14, key: 'snapshots.keep_daily', message: /expected a whole number of snapshots, 0 or more, got -1/ },
    { name: 'a guest override below zero', toml: 'project = "x"\n[vm.a]\nkernel = "/k"\nsnapshots.keep_hourly = -2\n', line: 4, column: 25, key: 'vm.a.snapshots.keep_hourly', message: /0 or more, got -2/ },
    { name: 'a misspelt key', toml: 'project = "x"\n[snapshots]\nkeep_dayly = 3\n', line: 3, column: 1, key: 'snapshots.keep_dayly', message: /did you mean "keep_daily"\?/ },
  ];
  itReportsEachAtItsLine(cases);
});
