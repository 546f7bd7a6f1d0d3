// Page object for what every page shares: the sidebar's section links and the
// connection indicator. Found by role and accessible name, as a user finds them.
import type { Locator, Page } from '@playwright/test';

export type SectionName = 'Dashboard' | 'Host' | 'Hosts' | 'Projects' | 'Virtual machines' | 'Capsules' | 'Images' | 'Networks' | 'Devices';

export const SECTIONS: readonly SectionName[] = ['Dashboard', 'Host', 'Hosts', 'Projects', 'Virtual machines', 'Capsules', 'Images', 'Networks', 'Devices'];

export class AppShell {
  readonly nav: Locator;
  readonly connection: Locator;
  readonly heading: Locator;

  constructor(readonly page: Page) {
    this.nav = page.getByRole('navigation', { name: 'Sections' });
    this.connection = page.getByRole('status', { name: 'Connection' });
    this.heading = page.getByRole('heading', { level: 1 });
  }

  /** Opens the URL `nova web` printed (the page keeps its token in the tab). */
  async open(url: string): Promise<void> {
    await this.page.goto(url);
  }

  link(section: SectionName): Locator {
    // The visible text also carries a "soon" tag, so match the start of the name.
    return this.nav.getByRole('link', { name: new RegExp(`^${section}\\b`) });
  }

  async goTo(section: SectionName): Promise<void> {
    await this.link(section).click();
  }

  /** Moves focus to a section's link with Tab only, within maxTabs presses. */
  async tabTo(section: SectionName, maxTabs = 30): Promise<Locator> {
    const link = this.link(section);
    for (let i = 0; i < maxTabs; i++) {
      await this.page.keyboard.press('Tab');
      if (await link.evaluate((el) => el.matches(':focus'))) return link;
    }
    throw new Error(`${section} was not reached within ${maxTabs} presses of Tab`);
  }

  /** Reaches a section's link with Tab and follows it with Enter. */
  async goToByKeyboard(section: SectionName, maxTabs = 30): Promise<void> {
    await this.tabTo(section, maxTabs);
    await this.page.keyboard.press('Enter');
  }
}
