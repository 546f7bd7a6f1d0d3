// Page objects for the Capsules section: the list, the create dialog and one capsule's
// page with its state, actions, log view, terminal, snapshots and the operations shown
// in place. Found by role and accessible name, as a user finds them.
import type { Locator, Page } from '@playwright/test';
import { ActivityPanel, type OperationCard } from './activity-panel.js';
import { AppShell } from './app-shell.js';

export type CapsuleFormField = 'name' | 'image' | 'entrypoint' | 'command' | 'env' | 'volumes' | 'cpus' | 'memoryMiB' | 'pids' | 'restart' | 'network' | 'address' | 'ports';

export class CreateCapsuleDialog {
  readonly root: Locator;
  readonly name: Locator;
  readonly image: Locator;
  readonly command: Locator;
  readonly env: Locator;
  readonly memory: Locator;
  readonly restart: Locator;
  readonly network: Locator;
  readonly ports: Locator;
  /** The list the entrypoint and command become, quoted as a shell reads it. */
  readonly runs: Locator;
  readonly submit: Locator;
  readonly refusal: Locator;

  constructor(page: Page) {
    this.root = page.getByRole('dialog', { name: 'Create capsule' });
    this.name = this.root.getByLabel('Name', { exact: true });
    this.image = this.root.getByLabel('Image', { exact: true });
    this.command = this.root.getByLabel('Command', { exact: true });
    this.env = this.root.getByLabel('Environment', { exact: true });
    this.memory = this.root.getByLabel('Memory', { exact: true });
    this.restart = this.root.getByLabel('Restart policy', { exact: true });
    this.network = this.root.getByLabel('Network', { exact: true });
    this.ports = this.root.getByLabel('Published ports', { exact: true });
    this.runs = this.root.locator('[data-runs]');
    this.submit = this.root.getByRole('button', { name: 'Create', exact: true });
    this.refusal = this.root.getByRole('alert');
  }

  /** The message beside a field (the control points at it with aria-describedby). */
  fieldError(field: CapsuleFormField): Locator {
    return this.root.locator(`[data-field="${field}"] .vm-field__error`);
  }
}

export class CapsulesPage extends AppShell {
  readonly createButton: Locator;
  readonly table: Locator;
  readonly dialog: CreateCapsuleDialog;
  readonly logView: Locator;
  readonly logSearch: Locator;
  readonly terminal: Locator;
  readonly terminalStatus: Locator;
  /** The capsule page's state badge (or what holds the capsule). */
  readonly state: Locator;
  readonly snapshotName: Locator;
  readonly takeSnapshot: Locator;

  constructor(page: Page) {
    super(page);
    this.createButton = page.getByRole('button', { name: 'New capsule' });
    this.table = page.getByRole('table', { name: 'Capsules' });
    this.dialog = new CreateCapsuleDialog(page);
    this.logView = page.getByRole('log', { name: 'Log lines' });
    this.logSearch = page.getByRole('searchbox', { name: 'Search the logs' });
    this.terminal = page.getByTestId('capsule-terminal');
    this.terminalStatus = page.getByRole('region', { name: /^Terminal of / }).getByRole('status');
    this.state = page.locator('.page-header .vm-state');
    this.snapshotName = page.getByLabel('Snapshot name', { exact: true });
    this.takeSnapshot = page.getByRole('button', { name: 'Take snapshot' });
  }

  /** A lifecycle button in the capsule page's header. */
  action(capsule: string, label: 'Start' | 'Stop' | 'Restart' | 'Pause' | 'Resume'): Locator {
    return this.page.getByRole('group', { name: `Actions for ${capsule}` }).getByRole('button', { name: label, exact: true });
  }

  snapshotRow(name: string): Locator {
    return this.page.locator(`tr[data-snapshot="${name}"]`);
  }

  /** The card of the newest operation on the capsule (with that title when given), shown in place on its page. */
  operationInPlace(capsule: string, title?: string): OperationCard {
    return new ActivityPanel(this.page).operationOn(`Capsule ${capsule}`, this.page.getByRole('region', { name: `Operations on ${capsule}` }), title);
  }

  async openSection(url: string): Promise<void> {
    await this.open(url);
    await this.goTo('Capsules');
  }

  /** Log lines whose text is exactly `text` (the view's text runs lines together). */
  logLine(text: string): Locator {
    return this.logView.locator('.capsule-log__text').filter({ hasText: new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) });
  }

  row(name: string): Locator {
    return this.table.locator(`tr[data-capsule="${name}"]`);
  }

  tab(label: 'Logs' | 'Graphs' | 'Terminal' | 'Snapshots' | 'Settings'): Locator {
    return this.page.getByRole('navigation', { name: /^Sections of / }).getByRole('link', { name: label, exact: true });
  }
}
