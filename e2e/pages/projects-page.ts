// Page object for the Projects page: the open form, the plan's groups, the resources
// table, the apply/down progress, the Down dialog and the NovaFile editor, found by role
// and accessible name as a user finds them.
import type { Locator, Page } from '@playwright/test';
import { AppShell } from './app-shell.js';

export class ProjectsPage extends AppShell {
  readonly pathInput: Locator;
  readonly openButton: Locator;
  readonly applyButton: Locator;
  readonly downButton: Locator;
  readonly planSummary: Locator;
  readonly resources: Locator;
  readonly runPanel: Locator;
  readonly runStatus: Locator;
  readonly planTab: Locator;
  readonly editorTab: Locator;
  readonly editor: Locator;
  readonly saveButton: Locator;
  readonly problems: Locator;
  readonly downDialog: Locator;

  constructor(page: Page) {
    super(page);
    this.pathInput = page.getByLabel('NovaFile or project folder');
    this.openButton = page.getByRole('button', { name: 'Open', exact: true });
    this.applyButton = page.getByRole('button', { name: 'Apply', exact: true });
    this.downButton = page.getByRole('button', { name: 'Down', exact: true });
    this.planSummary = page.getByTestId('plan-summary');
    this.resources = page.getByRole('table', { name: 'Project resources' });
    this.runPanel = page.locator('.run-panel');
    this.runStatus = this.runPanel.getByRole('status');
    this.planTab = page.getByRole('button', { name: 'Plan and resources' });
    this.editorTab = page.getByRole('button', { name: 'Edit file' });
    this.editor = page.getByRole('textbox', { name: 'NovaFile text' });
    this.saveButton = page.getByRole('button', { name: 'Save', exact: true });
    this.problems = page.getByRole('list', { name: 'Problems in the file' });
    this.downDialog = page.getByRole('alertdialog');
  }

  async openProject(url: string, path: string): Promise<void> {
    await this.open(url);
    await this.goTo('Projects');
    await this.pathInput.fill(path);
    await this.pathInput.press('Enter');
  }

  /** A class's group of the plan ("create", "update with restart", ...). */
  planGroup(label: string): Locator {
    return this.page.getByRole('region', { name: `To ${label}` });
  }

  row(kind: string, name: string): Locator {
    return this.resources.locator(`tr[data-resource="${kind}:${name}"]`);
  }

  health(kind: string, name: string): Locator {
    return this.row(kind, name).locator('[data-cell="health"]');
  }

  gutterLine(line: number): Locator {
    return this.page.locator(`.novafile-editor__gutter [data-line="${line}"]`);
  }
}
