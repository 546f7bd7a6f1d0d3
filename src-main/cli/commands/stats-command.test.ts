import { Command, CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import type { MetricsHistory } from '../../../src-shared/api/metrics-api.js';
import { NovaError } from '../../../src-shared/errors.js';
import type { HelperClient } from '../../core/helper-client.js';
import type { CliContext } from '../cli-context.js';
import { rangeFor, registerStatsCommand } from './stats-command.js';

const NOW = Date.parse('2026-01-01T12:00:00.000Z');

function history(kind: MetricsHistory['kind'], name: string, range: MetricsHistory['range'], stepSeconds: number, ages: number[]): MetricsHistory {
  const point = (ageS: number) => ({ t: NOW - ageS * 1000, cpuPercent: 12.5, rssBytes: 256 * 1024 * 1024, diskReadBps: 2048, diskWriteBps: 0, netRxBps: 1536, netTxBps: 512 });
  return { kind, name, range, stepSeconds, points: ages.map(point) };
}

/** Runs `nova stats …` against a fake helper answering with `answer`. */
async function run(argv: string[], answer: (method: string, params: Record<string, unknown>) => unknown) {
  let stdout = '';
  const calls: Array<[string, unknown]> = [];
  const program = new Command('nova').option('--json', '', false).exitOverride().configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
  const ctx: CliContext = {
    io: { stdout: (t) => (stdout += t), stderr: () => undefined },
    globals: () => ({ socket: '', stateDir: '', json: program.opts<{ json: boolean }>().json, autostart: false }),
    connectHelper: async () =>
      ({
        call: async (method: string, params: Record<string, unknown>) => (calls.push([method, params]), answer(method, params)),
        close: () => undefined,
      }) as unknown as HelperClient,
  };
  registerStatsCommand(program, ctx, () => NOW);
  program.commands.forEach((c) => c.exitOverride().configureOutput({ writeErr: () => undefined, writeOut: () => undefined }));
  let error: unknown = null;
  await program.parseAsync(argv, { from: 'user' }).catch((e: unknown) => (error = e));
  return { stdout, calls, error };
}

describe('nova stats', () => {
  it('shows the host over the last 10 minutes by default, as a table', async () => {
    const r = await run(['stats'], () => history('host', 'host', '1h', 10, [20, 10]));
    expect(r.error).toBeNull();
    expect(r.calls).toEqual([['host.metricsHistory', { range: '1h' }]]);
    expect(r.stdout).toBe(
      [
        'host: last 10m, one row per 10s, times in UTC',
        'TIME        CPU     MEMORY  DISK READ  DISK WRITE     NET RX   NET TX',
        '11:59:40  12.5%  256.0 MiB  2.0 KiB/s       0 B/s  1.5 KiB/s  512 B/s',
        '11:59:50  12.5%  256.0 MiB  2.0 KiB/s       0 B/s  1.5 KiB/s  512 B/s',
        '',
      ].join('\n'),
    );
  });

  it('writes CSV with --csv, keeping only the points within --since', async () => {
    const r = await run(['stats', 'web', '--since', '90s', '--csv'], () => history('vm', 'web', '1h', 10, [200, 80, 10]));
    expect(r.calls).toEqual([['vm.metricsHistory', { name: 'web', range: '1h' }]]);
    expect(r.stdout).toBe(
      ['time,cpu_percent,memory_bytes,disk_read_bps,disk_write_bps,net_rx_bps,net_tx_bps', '2026-01-01T11:58:40.000Z,12.5,268435456,2048,0,1536,512', '2026-01-01T11:59:50.000Z,12.5,268435456,2048,0,1536,512', ''].join('\n'),
    );
  });

  it('falls back to a capsule of that name, and says plainly when there is neither', async () => {
    const notFound = () => {
      throw new NovaError('not_found', 'no such thing');
    };
    const capsule = await run(['stats', 'db', '--since', '1d'], (m) => (m === 'vm.metricsHistory' ? notFound() : history('capsule', 'db', '1d', 60, [30])));
    expect(capsule.calls.map(([m]) => m)).toEqual(['vm.metricsHistory', 'capsule.metricsHistory']);
    expect(capsule.stdout).toContain('capsule db: last 1d, one row per 1m');
    const none = await run(['stats', 'ghost'], notFound);
    expect(none.error).toBeInstanceOf(NovaError);
    expect((none.error as NovaError).code).toBe('not_found');
    expect((none.error as NovaError).message).toBe('There is no VM or capsule named "ghost" (see nova vm ls and nova capsule ls)');
    // A name only a capsule can have is not asked of the VMs.
    const underscore = await run(['stats', 'my_db'], () => history('capsule', 'my_db', '1h', 10, []));
    expect(underscore.calls.map(([m]) => m)).toEqual(['capsule.metricsHistory']);
    expect(underscore.stdout).toContain('no samples in this span');
  });

  it('refuses a --since that does not parse, or reaches past 30 days, as a usage error before asking the helper', async () => {
    for (const since of ['soon', '5', '31d']) {
      const r = await run(['stats', '--since', since], () => history('host', 'host', '1m', 1, []));
      expect(r.error).toBeInstanceOf(CommanderError);
      expect((r.error as CommanderError).code).toBe('commander.invalidArgument');
      expect(r.calls).toEqual([]);
    }
  });

  it('asks for the shortest range that covers --since', () => {
    expect([60_000, 61_000, 3_600_000, 86_400_000, 2 * 86_400_000, 8 * 86_400_000].map(rangeFor)).toEqual(['1m', '1h', '1h', '1d', '7d', '30d']);
  });
});
