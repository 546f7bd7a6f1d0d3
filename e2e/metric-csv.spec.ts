// CSV export from a graph: the Dashboard's host CPU and network graphs download the drawn
// series over the chosen range as CSV (ISO UTC times, the columns `nova stats --csv`
// writes), read back here from the downloaded file.
import { readFile } from 'node:fs/promises';
import type { Locator } from '@playwright/test';
import { DashboardPage } from './pages/dashboard-page.js';
import { expect, test } from './support/fixtures.js';

const ISO = '\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z';

async function download(chart: Locator, title: string): Promise<{ name: string; lines: string[] }> {
  const page = chart.page();
  const [file] = await Promise.all([page.waitForEvent('download'), chart.getByRole('button', { name: `Export ${title} as CSV` }).click()]);
  const path = await file.path();
  return { name: file.suggestedFilename(), lines: (await readFile(path, 'utf8')).trimEnd().split('\n') };
}

test('a graph exports its drawn series as CSV through a download', async ({ page, nova, pageProblems }) => {
  const dash = new DashboardPage(page);
  await dash.open(nova.url);
  await expect(dash.heading).toHaveText('Dashboard');
  const cpu = dash.hostGraphs.locator('figure[data-chart="host-cpu"]');
  await expect.poll(async () => Number(await cpu.getAttribute('data-points')), { timeout: 30_000 }).toBeGreaterThanOrEqual(2);

  const cpuCsv = await download(cpu, 'CPU');
  expect(cpuCsv.name).toBe('host-1m-host-cpu.csv');
  expect(cpuCsv.lines[0]).toBe('time,cpu_percent');
  expect(cpuCsv.lines.length - 1).toBeGreaterThanOrEqual(2);
  for (const row of cpuCsv.lines.slice(1)) expect(row).toMatch(new RegExp(`^${ISO},\\d+(\\.\\d+)?$`));
  const times = cpuCsv.lines.slice(1).map((r) => Date.parse(r.split(',')[0]!));
  expect(times).toEqual([...times].sort((a, b) => a - b));
  expect(Date.now() - times.at(-1)!).toBeLessThan(5 * 60_000);

  // Two series, two columns.
  const net = dash.hostGraphs.locator('figure[data-chart="host-network"]');
  const netCsv = await download(net, 'Network');
  expect(netCsv.lines[0]).toBe('time,net_rx_bps,net_tx_bps');
  for (const row of netCsv.lines.slice(1)) expect(row).toMatch(new RegExp(`^${ISO},\\d+,\\d+$`));
  expect(pageProblems).toEqual([]);
});
