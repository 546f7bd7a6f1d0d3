// Page objects for operations: the activity panel (its switch in the sidebar, the
// running and recent operations in it) and one operation's card, wherever it shows:
// in the panel or in place on its resource's page. Found by role and name.
import { expect, type Locator, type Page } from '@playwright/test';

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export type OperationStateText = 'Running' | 'Cancelling' | 'Succeeded' | 'Failed' | 'Cancelled';

/** One operation's card: its state word, progress bar, phase and numbers, and Cancel button. */
export class OperationCard {
  readonly state: Locator;
  readonly progress: Locator;
  readonly phase: Locator;
  /** "12 % · 6.0 MiB of 48 MiB": how far, when the engine can tell. */
  readonly numbers: Locator;
  readonly cancel: Locator;
  /** The failure in words: what kind of failure, the helper's message, what to do. */
  readonly error: Locator;

  constructor(readonly root: Locator) {
    this.state = root.locator('.op-state');
    this.progress = root.getByRole('progressbar');
    this.phase = root.locator('.op-item__phase > span:first-child');
    this.numbers = root.locator('.op-item__numbers');
    this.cancel = root.getByRole('button', { name: /^Cancel(ling)? / });
    this.error = root.locator('.op-item__error');
  }

  async expectState(text: OperationStateText, timeout?: number): Promise<void> {
    await expect(this.root).toHaveAttribute('aria-label', new RegExp(`: ${text}$`), { timeout });
    await expect(this.state).toHaveText(text);
  }
}

export class ActivityPanel {
  /** The sidebar's switch; its name carries the number of running operations. */
  readonly button: Locator;
  readonly root: Locator;
  readonly heading: Locator;
  readonly close: Locator;
  readonly running: Locator;
  readonly recent: Locator;

  constructor(readonly page: Page) {
    this.button = page.getByRole('button', { name: /^Activity/ });
    this.root = page.getByRole('complementary', { name: 'Activity' });
    this.heading = this.root.getByRole('heading', { name: 'Activity', level: 2 });
    this.close = this.root.getByRole('button', { name: 'Close activity' });
    this.running = this.root.getByRole('region', { name: /^Running \(\d+\)$/ });
    this.recent = this.root.getByRole('region', { name: 'Recent' });
  }

  async open(): Promise<void> {
    if (!(await this.root.isVisible())) await this.button.click();
    await expect(this.root).toBeVisible();
  }

  /** The card of the newest operation on a resource, "Image base", "VM web1"; of the one with that title when given ("Snapshot 'pre'"). */
  operationOn(resource: string, within: Locator = this.root, title?: string): OperationCard {
    const start = title === undefined ? '' : `^${escape(title)}`;
    return new OperationCard(within.getByRole('article', { name: new RegExp(`${start} of ${escape(resource)}: `) }).first());
  }
}
