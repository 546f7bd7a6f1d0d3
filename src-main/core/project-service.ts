// The Projects page's side of main: open, plan, ps, up, down, cancel, save and write-back for a
// NovaFile path, and export of existing resources as a NovaFile, served alike over Electron IPC and web mode. It calls the same engine
// as the CLI (planNovaFile, applyPlan, downProject, projectRows); an apply or a down
// pushes a line per step as `project.progress` and is cancelled with project.cancel.
// One apply or down per project file at a time, so two windows cannot interleave. A
// guest's `host = "NAME"` is reached through the app's connection pool (saved hosts),
// this machine's helper for the rest.
import { prepareAssetsOf } from './assets/project-assets.js';
import { NovaError, toErrorShape } from '../../src-shared/errors.js';
import type { NovaEvent } from '../../src-shared/api/events.js';
import type { ProjectApplyOutcome, ProjectDownOutcome, ProjectOpened, ProjectResourceRow, ProjectWriteBack } from '../../src-shared/api/project-api.js';
import type { NovaFileValidation } from '../../src-shared/novafile.js';
import { planHasChanges, type ProjectPlan, type ProjectResourceKind } from '../../src-shared/project.js';
import { LOCAL_HOST } from '../../src-shared/vocabulary/index.js';
import type { HelperClient } from './helper-client.js';
import type { HostConnectionPool } from './hosts/host-connection-pool.js';
import type { HostRegistry } from './hosts/host-registry.js';
import { hostGuestMover } from './hosts/project-guest-mover.js';
import { readHostStates, type ActualState } from './project/actual-state.js';
import { placedHosts } from './project/desired-state.js';
import type { ProjectHostMemory } from './project/project-host-memory.js';
import { createNovaFileText, readNovaFileText, resolveNovaFilePath, writeNovaFileText } from './novafile-file-io.js';
import { validateNovaFile } from './novafile/novafile-parser.js';
import { guestNodes } from './project/apply-order.js';
import { applyPlan, type ApplyHosts } from './project/project-apply.js';
import { applySnapshotPoliciesOnHosts } from './project/snapshot-policies.js';
import { downProjectOnHosts } from './project/project-down.js';
import type { ProjectHelper } from './project/project-helper.js';
import { loadDesiredState, planNovaFile, type ProjectHostReaders } from './project/project-planner.js';
import { exportProject, type ProjectExport } from './project/project-export.js';
import { projectRowsOnHosts } from './project/project-ps.js';
import { writeBackResource } from './project/project-write-back.js';

type Action = 'up' | 'down';

type Client = Pick<HelperClient, 'call'>;

/** How the service reaches other hosts: the app's pool of saved hosts and the saved host list. */
export interface ProjectServiceHosts {
  pool?: Pick<HostConnectionPool, 'client'>;
  registry?: Pick<HostRegistry, 'list' | 'resolve'>;
  /** Where each project was last applied; without it, only the hosts its file names are read. */
  memory?: Pick<ProjectHostMemory, 'hostsOf' | 'remember'>;
}

export class ProjectService {
  private readonly running = new Map<string, { action: Action; controller: AbortController }>();

  constructor(
    private readonly helper: Client,
    private readonly publish: (event: NovaEvent) => void,
    private readonly hosts: ProjectServiceHosts = {},
  ) {}

  async open(path: string): Promise<ProjectOpened> {
    const { file, text } = await readNovaFileText(path);
    const readers = await this.readers(file);
    const validation = validateNovaFile(text, file, { knownHosts: readers.knownHosts });
    if (!validation.valid) return { file, text, validation, plan: null, planError: null };
    try {
      return { file, text, validation, plan: (await planNovaFile(file, readers)).plan, planError: null };
    } catch (err) {
      return { file, text, validation, plan: null, planError: toErrorShape(err) };
    }
  }

  async plan(path: string): Promise<ProjectPlan> {
    const file = await this.checkedFile(path);
    return (await planNovaFile(file, await this.readers(file))).plan;
  }

  async ps(path: string): Promise<{ project: string; resources: ProjectResourceRow[] }> {
    const file = await this.checkedFile(path);
    const { desired } = await loadDesiredState(file, undefined, undefined, await this.readers(file));
    const actual = await readHostStates(desired.hosts, (host) => this.clientOf(host));
    const clients = await this.clientsOf(desired.hosts);
    return { project: desired.project, resources: await projectRowsOnHosts(desired, actual, (host) => clients.get(host)!) };
  }

  async up(path: string): Promise<{ plan: ProjectPlan; outcome: ProjectApplyOutcome | null }> {
    const file = await this.checkedFile(path);
    return this.exclusive(file, 'up', async (signal, h, onLine) => {
      await prepareAssetsOf(file, async (host) => (host === LOCAL_HOST ? h : this.projectHelper(await this.clientOf(host), signal)), { onLine: (line) => onLine('assets', line) });
      const planned = await planNovaFile(file, await this.readers(file));
      const clients = await this.clientsOf(planned.desired.hosts);
      const policies = (skip?: ReadonlySet<string>) => applySnapshotPoliciesOnHosts((host) => clients.get(host)!, planned.desired, skip);
      if (!planHasChanges(planned.plan)) {
        await this.hosts.memory?.remember(file, placedHosts(planned.desired));
        // Snapshot policies are the helper's to run, not part of the plan: a changed one still applies.
        for (const line of await policies()) onLine('snapshots', line);
        return { plan: planned.plan, outcome: null };
      }
      const outcome = await applyPlan(planned.plan, planned.desired, planned.actual, h, {
        signal,
        onLine,
        applySnapshotPolicies: policies,
        ...(planned.plan.hosts ? { hosts: this.applyHosts(clients, planned.actualByHost, signal) } : {}),
      });
      // Short of a full apply, the project may still have something on every host read.
      const complete = !outcome.cancelled && outcome.failed.length === 0 && outcome.notApplied.length === 0;
      await this.hosts.memory?.remember(file, complete ? placedHosts(planned.desired) : planned.desired.hosts);
      return { plan: planned.plan, outcome };
    });
  }

  async down(path: string, volumes: boolean): Promise<ProjectDownOutcome> {
    const file = await this.checkedFile(path);
    return this.exclusive(file, 'down', async (signal, h, onLine) => {
      const { desired } = await loadDesiredState(file, undefined, undefined, await this.readers(file));
      const actual = await readHostStates(desired.hosts, (host) => this.clientOf(host));
      const clients = await this.clientsOf(desired.hosts);
      const out = await downProjectOnHosts(actual, (host) => this.projectHelper(clients.get(host)!, signal), { project: desired.project, declared: guestNodes(desired), volumes, signal, onLine });
      if (volumes && !out.cancelled && out.failed.length === 0) await this.hosts.memory?.remember(file, []);
      return out;
    });
  }

  async cancel(path: string): Promise<{ cancelled: boolean }> {
    const run = this.running.get(await resolveNovaFilePath(path));
    if (!run || run.controller.signal.aborted) return { cancelled: false };
    run.controller.abort();
    return { cancelled: true };
  }

  async save(path: string, text: string, create = false): Promise<{ saved: boolean; file: string; validation: NovaFileValidation }> {
    const file = create ? path : await resolveNovaFilePath(path);
    const validation = validateNovaFile(text, file, { knownHosts: (await this.readers(file)).knownHosts });
    if (!validation.valid) return { saved: false, file, validation };
    if (create) return { saved: true, file: await createNovaFileText(path, text), validation };
    await writeNovaFileText(file, text);
    return { saved: true, file, validation };
  }

  /** The resource's current settings into its table of the file (project-write-back.ts). */
  async writeBack(path: string, kind: ProjectResourceKind, name: string): Promise<ProjectWriteBack> {
    return writeBackResource(path, kind, name, this.helper);
  }

  /** Existing resources as a NovaFile; adopting those of no project is the page's own vm/capsule/network.adopt calls. */
  async export(names: readonly string[], project: string | undefined): Promise<ProjectExport> {
    return exportProject(this.helper, names, project);
  }

  /** This machine's helper, or a saved host's connection from the pool. */
  private async clientOf(host: string): Promise<Client> {
    if (host === LOCAL_HOST) return this.helper;
    if (!this.hosts.pool) throw new NovaError('unavailable', `host ${host}: this Nova keeps no connections to other hosts`);
    return this.hosts.pool.client(host);
  }

  private async clientsOf(hosts: readonly string[]): Promise<Map<string, Client>> {
    return new Map(await Promise.all(hosts.map(async (host) => [host, await this.clientOf(host)] as const)));
  }

  /** Guests without a `host` key run on this machine; a `host` key must name a saved host. */
  private async readers(file: string): Promise<ProjectHostReaders> {
    const knownHosts = this.hosts.registry ? (await this.hosts.registry.list()).map((h) => h.name) : [];
    const rememberedHosts = this.hosts.memory ? await this.hosts.memory.hostsOf(file) : [];
    return { defaultHost: LOCAL_HOST, knownHosts, rememberedHosts, reader: (host) => this.clientOf(host) };
  }

  private projectHelper(client: Client, signal: AbortSignal): ProjectHelper {
    return {
      call: (method, params) => client.call(method, params),
      // The signal cancels the helper operation in flight, which removes what it half-made.
      operation: (method, params) => client.call(method, params, { signal }),
    };
  }

  private applyHosts(clients: ReadonlyMap<string, Client>, actual: ReadonlyMap<string, ActualState>, signal: AbortSignal): ApplyHosts {
    const helper = (host: string) => this.projectHelper(clients.get(host)!, signal);
    const registry = this.hosts.registry ?? { resolve: () => Promise.reject(new NovaError('unavailable', 'this Nova keeps no saved hosts')) };
    return { helper, actual: (host) => actual.get(host) ?? { networks: [], vms: [], capsules: [] }, mover: hostGuestMover({ helper, registry }) };
  }

  /** The resolved file, read once through the size and type checks before the engine reads it. */
  private async checkedFile(path: string): Promise<string> {
    return (await readNovaFileText(path)).file;
  }

  private async exclusive<T>(file: string, action: Action, work: (signal: AbortSignal, h: ProjectHelper, onLine: (subject: string, line: string) => void) => Promise<T>): Promise<T> {
    const busy = this.running.get(file);
    if (busy) throw new NovaError('locked', `${file}: a nova ${busy.action} of this project is already running; wait for it or cancel it`, { file, action: busy.action });
    const controller = new AbortController();
    this.running.set(file, { action, controller });
    const { signal } = controller;
    const h = this.projectHelper(this.helper, signal);
    const onLine = (subject: string, line: string) => this.publish({ name: 'project.progress', payload: { file, action, subject, line } });
    this.publish({ name: 'project.changed', payload: { file, running: action } });
    try {
      return await work(signal, h, onLine);
    } finally {
      this.running.delete(file);
      this.publish({ name: 'project.changed', payload: { file, running: null } });
    }
  }
}
