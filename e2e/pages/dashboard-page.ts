// Page object for the Dashboard, the app's home: the host graphs, the guest rows with
// their state and CPU sparkline, and what each drawn series covers (first and last point).
import type { Locator, Page } from '@playwright/test';
import { AppShell } from './app-shell.js';

export interface DrawnSeries {
  readonly points: number;
  readonly first: number;
  readonly last: number;
}

async function drawn(el: Locator): Promise<DrawnSeries> {
  const [points, first, last] = await Promise.all(['data-points', 'data-first', 'data-last'].map((a) => el.getAttribute(a)));
  return { points: Number(points ?? 0), first: Number(first ?? 0), last: Number(last ?? 0) };
}

export class DashboardPage extends AppShell {
  readonly hostGraphs: Locator;
  readonly guests: Locator;
  /** The first run's offer of the demo project. */
  readonly demo: Locator;

  constructor(page: Page) {
    super(page);
    this.demo = page.getByRole('region', { name: 'Try the demo', exact: true });
    this.hostGraphs = page.getByRole('region', { name: 'Host', exact: true });
    this.guests = page.getByRole('region', { name: 'Guests', exact: true });
  }

  row(kind: 'vm' | 'capsule', name: string): Locator {
    return this.guests.locator(`tr[data-guest="${kind}:${name}"]`);
  }

  sparkline(kind: 'vm' | 'capsule', name: string): Locator {
    return this.row(kind, name).locator(`[data-sparkline="${kind}:${name}"]`);
  }

  async sparklineSeries(kind: 'vm' | 'capsule', name: string): Promise<DrawnSeries> {
    return drawn(this.sparkline(kind, name));
  }

  async hostSeries(): Promise<DrawnSeries> {
    const cpu = this.hostGraphs.locator('figure[data-chart="host-cpu"]');
    const range = await drawn(this.hostGraphs);
    return { ...range, points: Number((await cpu.getAttribute('data-points')) ?? 0) };
  }
}
