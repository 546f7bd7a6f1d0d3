// Page objects for the Networks section: the list, the create dialog, the topology
// and one network's page. Found by role and accessible name, as a user finds them.
import type { Locator, Page } from '@playwright/test';
import { AppShell } from './app-shell.js';

export type NetworkStateText = 'Active' | 'Degraded' | 'Down';
export type TopologyNodeKind = 'Network' | 'Uplink' | 'Peer' | 'VM' | 'Capsule';
export type NetworkFormField = 'name' | 'subnet' | 'dhcpStart' | 'dhcpEnd' | 'uplink' | 'driver' | 'vni' | 'peers' | 'listenPort';

export class CreateNetworkDialog {
  readonly root: Locator;
  readonly name: Locator;
  readonly subnet: Locator;
  readonly dhcpStart: Locator;
  readonly dhcpEnd: Locator;
  readonly uplink: Locator;
  readonly vni: Locator;
  readonly peers: Locator;
  readonly listenPort: Locator;
  readonly submit: Locator;
  readonly cancel: Locator;
  /** The helper's refusal, shown inside the dialog. */
  readonly refusal: Locator;

  constructor(page: Page) {
    this.root = page.getByRole('dialog', { name: 'Create network' });
    this.name = this.root.getByLabel('Name', { exact: true });
    this.subnet = this.root.getByLabel(/^Subnet/);
    this.dhcpStart = this.root.getByLabel('DHCP range start');
    this.dhcpEnd = this.root.getByLabel('DHCP range end');
    this.uplink = this.root.getByLabel(/^(Uplink|Underlay)/);
    this.vni = this.root.getByLabel('VNI', { exact: true });
    this.peers = this.root.getByLabel('Peers', { exact: true });
    this.listenPort = this.root.getByLabel(/^Listen port/);
    this.submit = this.root.getByRole('button', { name: 'Create', exact: true });
    this.cancel = this.root.getByRole('button', { name: 'Cancel' });
    this.refusal = this.root.getByRole('alert');
  }

  profile(label: 'NAT' | 'External' | 'Internal' | 'Overlay'): Locator {
    return this.root.getByRole('radio', { name: label });
  }

  driver(label: 'VXLAN' | 'WireGuard'): Locator {
    return this.root.getByRole('radio', { name: label });
  }

  /** The message beside a field (the input points at it with aria-describedby). */
  fieldError(field: NetworkFormField): Locator {
    return this.root.locator(`[data-field="${field}"] .form-field__error`);
  }
}

export class TopologyView {
  readonly canvas: Locator;

  constructor(page: Page) {
    this.canvas = page.getByRole('region', { name: /^Network topology/ });
  }

  /** A node by kind and name; networks are links to their page, the others open a panel. */
  node(kind: TopologyNodeKind, name: string): Locator {
    const role = kind === 'Network' ? 'link' : 'button';
    return this.canvas.getByRole(role, { name: new RegExp(`^${kind} ${name}, `) });
  }

  edges(state: 'up' | 'down'): Locator {
    return this.canvas.locator(`.react-flow__edge.topology-edge--${state}`);
  }

  panel(heading: string): Locator {
    return this.canvas.page().getByRole('complementary', { name: heading });
  }
}

export class NetworkDetailView {
  readonly deleteButton: Locator;
  readonly confirmDelete: Locator;
  readonly attached: Locator;
  readonly forwards: Locator;
  /** An overlay's peers, their editor, and this host's WireGuard key with its copy button. */
  readonly peers: Locator;
  readonly editPeers: Locator;
  readonly peersForm: Locator;
  readonly peersText: Locator;
  readonly publicKey: Locator;
  readonly copyKey: Locator;

  constructor(page: Page) {
    this.peers = page.getByRole('table', { name: 'Peers' });
    this.editPeers = page.getByRole('button', { name: 'Edit peers' });
    this.peersForm = page.getByRole('form', { name: 'Edit peers' });
    this.peersText = this.peersForm.getByLabel('Peers, one per line');
    this.publicKey = page.getByLabel('WireGuard public key');
    this.copyKey = page.getByRole('button', { name: 'Copy public key' });
    this.deleteButton = page.getByRole('button', { name: 'Delete network' });
    this.confirmDelete = page.getByRole('alertdialog').getByRole('button', { name: 'Delete', exact: true });
    this.attached = page.getByRole('table', { name: 'Attached resources' });
    this.forwards = page.getByRole('table', { name: 'Port forwards' });
  }

  attachment(resource: string): Locator {
    return this.attached.locator(`tr[data-resource="${resource}"]`);
  }
}

export class NetworksPage extends AppShell {
  readonly createButton: Locator;
  readonly table: Locator;
  readonly listTab: Locator;
  readonly topologyTab: Locator;
  readonly dialog: CreateNetworkDialog;
  readonly topology: TopologyView;
  readonly detail: NetworkDetailView;

  constructor(page: Page) {
    super(page);
    this.createButton = page.getByRole('button', { name: 'Create network' });
    this.table = page.getByRole('table', { name: 'Networks' });
    const views = page.getByRole('navigation', { name: 'Networks view' });
    this.listTab = views.getByRole('link', { name: 'List' });
    this.topologyTab = views.getByRole('link', { name: 'Topology' });
    this.dialog = new CreateNetworkDialog(page);
    this.topology = new TopologyView(page);
    this.detail = new NetworkDetailView(page);
  }

  async openSection(url: string): Promise<void> {
    await this.open(url);
    await this.goTo('Networks');
  }

  row(name: string): Locator {
    return this.table.locator(`tr[data-network="${name}"]`);
  }

  rowState(name: string): Locator {
    return this.row(name).locator('[data-column="state"] .status-badge');
  }

  rowAttached(name: string): Locator {
    return this.row(name).locator('[data-column="attached"]');
  }
}
