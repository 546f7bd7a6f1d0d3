// The parity table: every `nova` command and every method a user can call, each with the
// UI control that does the same (found by its `data-method` attribute on a page), or the
// reason it lives in one surface only. parity-table.test.ts fails when a command or a
// method arrives without its row, and e2e/parity.spec.ts visits each page to find each
// control, so a capability cannot reach the CLI or the engine without the UI.
//
// Which methods are "user-callable": every method in src-shared/api except
//  - the event stream (events.subscribe) and the events themselves (not methods);
//  - plumbing a surface calls for itself and no user asks for by name: a liveness ping,
//    where console sockets go, whether a viewer program is installed, where the demo is.
// Those are listed under `internal` with their reason, so the rule is checked row by row.

/** Pages (and their hash routes) on which the table's controls live. */
export const PARITY_PAGES = {
  dashboard: '#/dashboard',
  host: '#/host',
  hosts: '#/hosts',
  projects: '#/projects',
  /** A project opened from a NovaFile; e2e/parity.spec.ts writes one. */
  project: '#/projects?path={project}',
  /** The same project's "Edit file" tab. */
  projectEditor: '#/projects?path={project}',
  vms: '#/vms',
  vmNew: '#/vms/new',
  vm: '#/vms/{vm}',
  vmGraphs: '#/vms/{vm}/graphs',
  vmSerial: '#/vms/{vm}/serial',
  vmSnapshots: '#/vms/{vm}/snapshots',
  vmSettings: '#/vms/{vm}/settings',
  /** The console window of a running VM (a page of its own, not a hash route). */
  vmConsole: 'console.html#{vm}',
  capsules: '#/capsules',
  capsule: '#/capsules/{capsule}',
  capsuleGraphs: '#/capsules/{capsule}/graphs',
  capsuleTerminal: '#/capsules/{capsule}/terminal',
  capsuleSnapshots: '#/capsules/{capsule}/snapshots',
  capsuleSettings: '#/capsules/{capsule}/settings',
  images: '#/images',
  networks: '#/networks',
  network: '#/networks/{network}',
  /** A WireGuard overlay: its peers are edited on its page. */
  overlay: '#/networks/{overlay}',
  devices: '#/devices',
  /** The activity panel, opened from the title bar on any page. */
  activity: '#/dashboard',
} as const;

export type ParityPage = keyof typeof PARITY_PAGES;

/**
 * A control is shown only in some states of its guest: a running VM's Stop, a paused
 * one's Resume, an operation's Cancel while it runs. The e2e spec puts the guest there.
 * `hardware`: shown for a device that can be passed (an IOMMU on) or has SR-IOV, which
 * this machine lacks: e2e/devices-page.spec.ts and devices-sriov.spec.ts press them
 * against the fake kernel's devices.
 */
export type ParityState = 'stopped' | 'running' | 'paused' | 'operation' | 'hardware';

export interface ParityUi {
  readonly page: ParityPage;
  /** The `data-method` token the control carries (one of its space-separated methods). */
  readonly method: string;
  readonly state?: ParityState;
}

export type ParityEntry =
  | { readonly ui: ParityUi }
  /** Inherently one surface: the reason, in one line. */
  | { readonly oneSurface: string }
  /** Not user-callable (methods only): the reason, in one line. */
  | { readonly internal: string };

const ui = (page: ParityPage, method: string, state?: ParityState): ParityEntry => ({ ui: state ? { page, method, state } : { page, method } });
const oneSurface = (reason: string): ParityEntry => ({ oneSurface: reason });
const internal = (reason: string): ParityEntry => ({ internal: reason });

/** Every leaf of the `nova` command tree, by its words. */
export const CLI_PARITY: Readonly<Record<string, ParityEntry>> = {
  version: ui('dashboard', 'app.info'),
  'host check': ui('host', 'host.check'),
  'host add': ui('hosts', 'hosts.add'),
  'host ls': ui('hosts', 'hosts.list'),
  'host rm': ui('hosts', 'hosts.remove'),
  validate: ui('projectEditor', 'novafile.validate'),
  'vm ls': ui('vms', 'vm.list'),
  'vm create': ui('vmNew', 'vm.create'),
  'vm start': ui('vm', 'vm.start', 'stopped'),
  'vm pause': ui('vm', 'vm.pause', 'running'),
  'vm resume': ui('vm', 'vm.resume', 'paused'),
  'vm reboot': ui('vm', 'vm.reboot', 'running'),
  'vm stop': ui('vm', 'vm.stop', 'running'),
  'vm rm': ui('vmSettings', 'vm.delete'),
  'vm console': ui('vmSerial', 'vm.consoleInfo', 'running'),
  'vm clone': ui('vmSettings', 'vm.clone'),
  'vm set': ui('vmSettings', 'vm.update'),
  'vm disk add': ui('vmSettings', 'vm.update'),
  'vm disk rm': ui('vmSettings', 'vm.update'),
  'vm disk resize': ui('vmSettings', 'vm.update'),
  'vm disk set': ui('vmSettings', 'vm.update'),
  'vm cd insert': ui('vmSettings', 'vm.update'),
  'vm cd eject': ui('vmSettings', 'vm.update'),
  'vm cd rm': ui('vmSettings', 'vm.update'),
  'vm nic add': ui('vmSettings', 'vm.update'),
  'vm nic set': ui('vmSettings', 'vm.update'),
  'vm nic rm': ui('vmSettings', 'vm.update'),
  'snapshot vm': ui('vmSnapshots', 'vm.snapshotCreate'),
  'snapshot capsule': ui('capsuleSnapshots', 'capsule.snapshotCreate'),
  'snapshot ls': ui('vmSnapshots', 'vm.snapshotList'),
  'snapshot restore': ui('vmSnapshots', 'vm.snapshotRestore'),
  'snapshot rm': ui('vmSnapshots', 'vm.snapshotDelete'),
  'snapshot prune': ui('vmSnapshots', 'vm.snapshotPrune'),
  'image ls': ui('images', 'image.list'),
  'image pull': ui('images', 'ociImage.pull'),
  'image import': ui('images', 'image.import'),
  'image inspect': ui('images', 'ociImage.inspect'),
  'image rm': ui('images', 'image.remove'),
  logs: ui('vmSerial', 'vm.consoleInfo', 'running'),
  'net ls': ui('networks', 'network.list'),
  'net create': ui('networks', 'network.create'),
  'net rm': ui('network', 'network.delete'),
  'net inspect': ui('network', 'network.get'),
  'net repair': ui('network', 'network.repair'),
  'net leases': ui('vm', 'network.leases', 'running'),
  'net forward add': ui('network', 'network.forwardAdd'),
  'net forward rm': ui('network', 'network.forwardRemove'),
  'net forward ls': ui('network', 'network.forwardList'),
  'net peer set': ui('overlay', 'network.setPeers'),
  'net peer ls': ui('overlay', 'network.setPeers'),
  'net attach': ui('vmSettings', 'vm.update'),
  'net detach': ui('vmSettings', 'vm.update'),
  'run vm': ui('project', 'project.up'),
  'run container': ui('project', 'project.up'),
  plan: ui('project', 'project.plan'),
  export: ui('projects', 'project.export'),
  up: ui('project', 'project.up'),
  down: ui('project', 'project.down'),
  ps: ui('project', 'project.ps'),
  'capsule set': ui('capsuleSettings', 'capsule.update'),
  'capsule ls': ui('dashboard', 'capsule.list'),
  'capsule inspect': ui('capsuleSettings', 'capsule.get'),
  'capsule create': ui('capsules', 'capsule.create'),
  'capsule start': ui('capsule', 'capsule.start', 'stopped'),
  'capsule restart': ui('capsule', 'capsule.restart', 'running'),
  'capsule pause': ui('capsule', 'capsule.pause', 'running'),
  'capsule resume': ui('capsule', 'capsule.resume', 'paused'),
  'capsule stop': ui('capsule', 'capsule.stop', 'running'),
  'capsule rm': ui('capsuleSettings', 'capsule.delete'),
  'capsule exec': ui('capsuleTerminal', 'capsule.terminalOpen', 'running'),
  shell: ui('capsuleTerminal', 'capsule.terminalOpen', 'running'),
  'op ls': ui('activity', 'operation.list'),
  'op show': ui('activity', 'operation.get'),
  'op cancel': ui('activity', 'operation.cancel', 'operation'),
  stats: ui('dashboard', 'host.metricsHistory'),
  'device ls': ui('devices', 'device.list'),
  'device show': ui('devices', 'device.list'),
  'device check': ui('devices', 'device.check'),
  'vm template': ui('vmSettings', 'vm.setTemplate'),
  'vm suspend': ui('vm', 'vm.suspend', 'running'),
  'vm share add': ui('vmSettings', 'vm.update'),
  'vm share rm': ui('vmSettings', 'vm.update'),
  'vm share ls': ui('vmSettings', 'vm.update'),
  'vm showcmd': ui('vmSettings', 'vm.showCommand'),
  'device prepare': ui('devices', 'device.bind', 'hardware'),
  'device release': ui('devices', 'device.restore', 'hardware'),
  'vm device add': ui('vmSettings', 'vm.update'),
  'vm device rm': ui('vmSettings', 'vm.update'),
  'vm usb attach': ui('vmConsole', 'vm.usbAttach', 'running'),
  'vm usb detach': ui('vmConsole', 'vm.usbDetach', 'running'),
  'vm usb ls': ui('vmConsole', 'vm.usbList', 'running'),
  'device vfs': ui('devices', 'device.sriovSet', 'hardware'),
  'net set': ui('network', 'network.update'),
  web: oneSurface('starts the web UI itself'),
  // Credentials that let a browser in are made at the host, as SSH keys are: a page that
  // could make them would let a view token mint a manage one, or a stolen session outlive its token.
  'token create': oneSurface('makes a credential for the web UI: made at the host by the user running nova web, never from a browser session it would then outlive or widen'),
  'token ls': oneSurface("lists the web UI's credentials, which only the host's terminal makes and revokes (see token create)"),
  'token rm': oneSurface('revokes a web UI credential from the host, where it was made, even when the browser holding it is not trusted'),
  connect: oneSurface('the pipe `ssh HOST nova connect` runs on a remote host to reach its helper; nobody types it'),
};

/** Every method of src-shared/api/nova-api.ts. */
export const METHOD_PARITY: Readonly<Record<string, ParityEntry>> = {
  'app.info': ui('dashboard', 'app.info'),
  'novafile.validate': ui('projectEditor', 'novafile.validate'),
  'vm.viewerSupport': internal('whether remote-viewer is installed: decides if the overview offers "Open in viewer"'),
  'vm.openViewer': oneSurface("opens remote-viewer in the desktop session of the app's own host: the VM overview's button, no CLI (the CLI user runs remote-viewer)"),
  'project.open': ui('projects', 'project.open'),
  'project.plan': ui('project', 'project.plan'),
  'project.ps': ui('project', 'project.ps'),
  'project.up': ui('project', 'project.up'),
  'project.down': ui('project', 'project.down'),
  'project.cancel': ui('project', 'project.cancel', 'operation'),
  'project.demo': internal("where the demo project is installed: the Dashboard's first-run offer asks it"),
  'project.save': ui('projectEditor', 'project.save'),
  'project.writeBack': ui('network', 'project.writeBack'),
  'project.export': ui('projects', 'project.export'),
  'host.check': ui('host', 'host.check'),
  'hosts.list': ui('hosts', 'hosts.list'),
  'hosts.probe': ui('hosts', 'hosts.probe'),
  'hosts.add': ui('hosts', 'hosts.add'),
  'hosts.remove': ui('hosts', 'hosts.remove'),
  'helper.ping': internal('a liveness check of the connection'),
  'helper.info': ui('dashboard', 'app.info'),
  'vm.list': ui('vms', 'vm.list'),
  'vm.get': ui('vm', 'vm.get'),
  'vm.create': ui('vmNew', 'vm.create'),
  'vm.update': ui('vmSettings', 'vm.update'),
  'vm.start': ui('vm', 'vm.start', 'stopped'),
  'vm.stop': ui('vm', 'vm.stop', 'running'),
  'vm.pause': ui('vm', 'vm.pause', 'running'),
  'vm.resume': ui('vm', 'vm.resume', 'paused'),
  'vm.reboot': ui('vm', 'vm.reboot', 'running'),
  'vm.delete': ui('vmSettings', 'vm.delete'),
  'vm.adopt': ui('projects', 'vm.adopt'),
  'vm.setTemplate': ui('vmSettings', 'vm.setTemplate'),
  'vm.clone': ui('vmSettings', 'vm.clone'),
  'vm.snapshotCreate': ui('vmSnapshots', 'vm.snapshotCreate'),
  'vm.snapshotList': ui('vmSnapshots', 'vm.snapshotList'),
  'vm.snapshotRestore': ui('vmSnapshots', 'vm.snapshotRestore'),
  'vm.snapshotDelete': ui('vmSnapshots', 'vm.snapshotDelete'),
  'vm.snapshotPolicySet': ui('vmSnapshots', 'vm.snapshotPolicySet'),
  'vm.snapshotPolicyGet': ui('vmSnapshots', 'vm.snapshotPolicyGet'),
  'vm.snapshotPolicyList': ui('dashboard', 'vm.snapshotPolicyList'),
  'vm.snapshotPrune': ui('vmSnapshots', 'vm.snapshotPrune'),
  'vm.consoleInfo': ui('vmSerial', 'vm.consoleInfo', 'running'),
  'vm.logs': ui('vmSerial', 'vm.consoleInfo', 'running'),
  'vm.metrics': ui('vmGraphs', 'vm.metricsHistory'),
  'image.list': ui('images', 'image.list'),
  'image.import': ui('images', 'image.import'),
  'image.detectOs': ui('vmNew', 'image.detectOs'),
  'image.remove': ui('images', 'image.remove'),
  'vm.metricsHistory': ui('vmGraphs', 'vm.metricsHistory'),
  'capsule.metricsHistory': ui('capsuleGraphs', 'capsule.metricsHistory'),
  'host.metricsHistory': ui('dashboard', 'host.metricsHistory'),
  'vm.consoleEndpoint': internal('where console WebSockets go on this transport: the console asks it before it connects'),
  'network.list': ui('networks', 'network.list'),
  'network.get': ui('network', 'network.get'),
  'network.create': ui('networks', 'network.create'),
  'network.suggestSubnet': ui('networks', 'network.suggestSubnet'),
  'network.delete': ui('network', 'network.delete'),
  'network.setPeers': ui('overlay', 'network.setPeers'),
  'network.adopt': ui('projects', 'network.adopt'),
  'network.forwardAdd': ui('network', 'network.forwardAdd'),
  'network.forwardRemove': ui('network', 'network.forwardRemove'),
  'network.forwardList': ui('network', 'network.forwardList'),
  'network.attach': ui('vmSettings', 'vm.update'),
  'network.detach': ui('vmSettings', 'vm.update'),
  'network.repair': ui('network', 'network.repair'),
  'network.leases': ui('vm', 'network.leases', 'running'),
  'capsule.list': ui('dashboard', 'capsule.list'),
  'capsule.get': ui('capsuleSettings', 'capsule.get'),
  'capsule.create': ui('capsules', 'capsule.create'),
  'capsule.update': ui('capsuleSettings', 'capsule.update'),
  'capsule.start': ui('capsule', 'capsule.start', 'stopped'),
  'capsule.stop': ui('capsule', 'capsule.stop', 'running'),
  'capsule.restart': ui('capsule', 'capsule.restart', 'running'),
  'capsule.pause': ui('capsule', 'capsule.pause', 'running'),
  'capsule.resume': ui('capsule', 'capsule.resume', 'paused'),
  'capsule.delete': ui('capsuleSettings', 'capsule.delete'),
  'capsule.exec': ui('capsuleTerminal', 'capsule.terminalOpen', 'running'),
  'capsule.logs': ui('capsule', 'capsule.logs'),
  'capsule.metrics': ui('capsuleGraphs', 'capsule.metricsHistory'),
  'capsule.adopt': ui('projects', 'capsule.adopt'),
  'capsule.snapshotCreate': ui('capsuleSnapshots', 'capsule.snapshotCreate'),
  'capsule.snapshotList': ui('capsuleSnapshots', 'capsule.snapshotList'),
  'capsule.snapshotRestore': ui('capsuleSnapshots', 'capsule.snapshotRestore'),
  'capsule.snapshotDelete': ui('capsuleSnapshots', 'capsule.snapshotDelete'),
  'capsule.snapshotPolicySet': ui('capsuleSnapshots', 'capsule.snapshotPolicySet'),
  'capsule.snapshotPolicyGet': ui('capsuleSnapshots', 'capsule.snapshotPolicyGet'),
  'capsule.snapshotPolicyList': ui('dashboard', 'capsule.snapshotPolicyList'),
  'capsule.snapshotPrune': ui('capsuleSnapshots', 'capsule.snapshotPrune'),
  'capsule.terminalOpen': ui('capsuleTerminal', 'capsule.terminalOpen', 'running'),
  'ociImage.pull': ui('images', 'ociImage.pull'),
  'ociImage.import': ui('images', 'ociImage.import'),
  'ociImage.list': ui('images', 'ociImage.list'),
  'ociImage.inspect': ui('images', 'ociImage.inspect'),
  'ociImage.remove': ui('images', 'ociImage.remove'),
  'operation.list': ui('activity', 'operation.list'),
  'operation.get': ui('activity', 'operation.get'),
  'operation.cancel': ui('activity', 'operation.cancel', 'operation'),
  'device.list': ui('devices', 'device.list'),
  // The page shows every device's details from its list; one device's answer is the same record.
  'device.get': ui('devices', 'device.list'),
  'device.check': ui('devices', 'device.check'),
  'device.bindingList': ui('devices', 'device.bindingList'),
  'device.bind': ui('devices', 'device.bind', 'hardware'),
  'device.bindPreview': ui('devices', 'device.bindPreview'),
  'vm.usbAttach': ui('vmConsole', 'vm.usbAttach', 'running'),
  'vm.usbDetach': ui('vmConsole', 'vm.usbDetach', 'running'),
  'vm.usbList': ui('vmConsole', 'vm.usbList', 'running'),
  'device.sriovSet': ui('devices', 'device.sriovSet', 'hardware'),
  'device.restore': ui('devices', 'device.restore', 'hardware'),
  'network.update': ui('network', 'network.update'),
  'vm.suspend': ui('vm', 'vm.suspend', 'running'),
  'vm.showCommand': ui('vmSettings', 'vm.showCommand'),
  'events.subscribe': internal('the event stream every surface listens on; events are signals, not actions'),
};
