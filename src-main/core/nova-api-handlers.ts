// The NovaApi handler table main serves to the renderer (over IPC or WebSocket):
// helper-served methods are forwarded to the helper, the rest are served here.
// `invoke` is the one entry point: it validates the method and params and always
// resolves to an envelope, so error codes survive any transport.
import { demoNovaFile } from './assets/demo-location.js';
import type { z } from 'zod';
import {
  HELPER_METHOD_NAMES,
  isMethodName,
  novaApi,
  NovaError,
  schemaError,
  toErrorShape,
  type AppInfo,
  type Envelope,
  type HelperMethodName,
  type MethodName,
  type NovaEvent,
  type ParamsOf,
  type ResultOf,
} from '../../src-shared/index.js';
import { LOCAL_HOST, parseHostName } from '../../src-shared/vocabulary/index.js';
import { handedImport } from './file-handoff.js';
import type { HelperClient } from './helper-client.js';
import type { HostConnectionPool, LinkClient } from './hosts/host-connection-pool.js';
import { HostRegistry } from './hosts/host-registry.js';
import { HostService } from './hosts/host-service.js';
import { remoteConsoleOpener } from './hosts/remote-console.js';
import { openSpiceRelay, relayBaseDir } from './hosts/spice-relay.js';
import { GuestMoveService } from './hosts/guest-move-service.js';
import { ProjectHostMemory } from './project/project-host-memory.js';
import { validateNovaFile } from './novafile/novafile-parser.js';
import { ProjectService } from './project-service.js';
import { RemoteViewerLauncher } from './remote-viewer-launcher.js';

type MainMethodName = Exclude<MethodName, HelperMethodName>;
export type MainHandlers = { [M in MainMethodName]: (params: ParamsOf<M>) => Promise<ResultOf<M>> };

export interface NovaApiDeps {
  helper: HelperClient;
  mode: AppInfo['mode'];
  version: string;
  /** Where console WebSockets go when not to the page's own origin (Electron's proxy). */
  consoleEndpoint?: () => { base: string; token: string };
  /** Serves vm.openViewer and vm.viewerSupport; by default asks this helper, in main's own session. */
  viewer?: RemoteViewerLauncher;
  /** Where main's own events go (the EventHub), e.g. a project apply's progress. */
  publish?: (event: NovaEvent) => void;
  /** Serves the Hosts page; by default the user's own saved hosts. */
  hosts?: HostService;
  /** The saved remote hosts' connections; without it, a call naming another host is refused. */
  pool?: HostConnectionPool;
  /** The saved hosts' names and addresses; by default the user's own list. */
  registry?: HostRegistry;
}



const HELPER_METHODS = new Set<string>(HELPER_METHOD_NAMES);

function isHelperMethod(method: MethodName): method is HelperMethodName {
  return HELPER_METHODS.has(method);
}

export class NovaApiHandlers {
  private readonly main: MainHandlers;

  constructor(private readonly deps: NovaApiDeps) {
    const helperOf = async (host: string): Promise<Pick<HelperClient, 'call'>> => {
      if (host === LOCAL_HOST) return deps.helper;
      if (!deps.pool) throw new NovaError('unavailable', `This Nova keeps no connections to other hosts, so it cannot reach ${host}`);
      return deps.pool.client(host);
    };
    const registry = deps.registry ?? new HostRegistry();
    const openConsole = remoteConsoleOpener(registry);
    const viewer =
      deps.viewer ??
      new RemoteViewerLauncher({
        consoleInfo: async (name, host) => (await helperOf(host)).call('vm.consoleInfo', { name }),
        vmInfo: async (name, host) => (await helperOf(host)).call('vm.get', { name }),
        openRelay: (host, name) => openSpiceRelay(() => openConsole(host, 'spice', name), relayBaseDir(process.env)),
      });
    const projects = new ProjectService(deps.helper, deps.publish ?? (() => undefined), { ...(deps.pool ? { pool: deps.pool, memory: new ProjectHostMemory() } : {}), registry });
    const hosts = deps.hosts ?? new HostService({ local: deps.helper, registry });
    const pool = deps.pool;
    const moves = new GuestMoveService({
      local: deps.helper,
      publish: deps.publish ?? (() => undefined),
      registry,
      ...(pool ? { remote: (host: string) => pool.client(host) } : {}),
    });
    this.main = {
      'app.info': async () => ({
        version: deps.version,
        mode: deps.mode,
        helper: { socket: deps.helper.socketPath, connected: deps.helper.isConnected },
      }),
      // A guest's `host` is checked against the saved hosts, so the editor marks an unknown one at its line.
      'novafile.validate': async ({ text, fileName }) => validateNovaFile(text, fileName, { knownHosts: (await registry.list()).map((h) => h.name) }),
      'vm.consoleEndpoint': async () => deps.consoleEndpoint?.() ?? { base: null, token: null },
      'vm.viewerSupport': async () => viewer.support(),
      'vm.openViewer': async ({ name, host }) => viewer.open(name, checkHost(host)),
      'project.open': ({ path }) => projects.open(path),
      'project.plan': ({ path }) => projects.plan(path),
      'project.ps': ({ path }) => projects.ps(path),
      'project.up': ({ path }) => projects.up(path),
      'project.down': ({ path, volumes }) => projects.down(path, volumes),
      'project.cancel': ({ path }) => projects.cancel(path),
      'project.save': ({ path, text, create }) => projects.save(path, text, create),
      'project.writeBack': ({ path, kind, name }) => projects.writeBack(path, kind, name),
      'project.export': ({ names, project }) => projects.export(names, project),
      'project.demo': async () => ({ file: await demoNovaFile() }),
      'hosts.list': () => hosts.list(),
      'hosts.probe': ({ name }) => hosts.probe(name),
      'hosts.add': ({ name, url }) => hosts.add(name, url),
      'hosts.remove': async ({ name }) => {
        const removed = await hosts.remove(name);
        deps.pool?.forget(name);
        return removed;
      },
      'vm.move': (params) => moves.moveVm(params),
      'vm.moveCancel': async ({ name, from }) => moves.cancel('vm', name, from),
      'capsule.move': (params) => moves.moveCapsule(params),
      'capsule.moveCancel': async ({ name, from }) => moves.cancel('capsule', name, from),
      'hosts.connection': async ({ name }) => {
        if (!deps.pool) throw new NovaError('unavailable', 'This Nova keeps no connections to other hosts');
        return deps.pool.view(name);
      },
    };
  }

  /** `host` names where a helper method goes: this machine's helper unless a saved host is named. */
  async invoke(method: string, rawParams: unknown, host?: unknown): Promise<Envelope<unknown>> {
    try {
      if (host !== undefined && host !== LOCAL_HOST) return { ok: true, value: await this.callRemote(checkHost(host), method, rawParams) };
      return { ok: true, value: await this.call(method, rawParams) };
    } catch (err) {
      return { ok: false, error: toErrorShape(err) };
    }
  }

  private async call(method: string, rawParams: unknown): Promise<unknown> {
    if (!isMethodName(method)) throw new NovaError('unknown_method', `Unknown method "${method}"`);
    // Narrowed before parsing, so the helper client's typed call checks these params against this method's own schema.
    // An import's file is opened here, as the user, and handed over (file-handoff.ts).
    if (method === 'image.import') return this.deps.helper.call(method, await handedImport(this.deps.helper, checkedParams(method, novaApi[method].params, rawParams)));
    if (isHelperMethod(method)) return this.deps.helper.call(method, checkedParams(method, novaApi[method].params, rawParams));
    const params = checkedParams(method, novaApi[method].params, rawParams);
    // Each main handler takes its own method's params, which the parse above checked.
    const handler = this.main[method] as (p: unknown) => Promise<unknown>;
    return handler(params);
  }

  /**
   * A call for a saved host: helper methods go down its ssh connection (failing at once
   * while that is down), main's own methods are this app's whatever the host.
   */
  private async callRemote(host: string, method: string, rawParams: unknown): Promise<unknown> {
    if (!isMethodName(method)) throw new NovaError('unknown_method', `Unknown method "${method}"`);
    if (!isHelperMethod(method)) return this.call(method, rawParams);
    if (method === 'image.import') throw new NovaError('invalid_argument', `A file on this machine cannot be handed to ${host}: copy it there and import it with "nova --host ${host} image import"`);
    if (!this.deps.pool) throw new NovaError('unavailable', `This Nova keeps no connections to other hosts, so it cannot reach ${host}`);
    const client: LinkClient = await this.deps.pool.client(host);
    return client.call(method, checkedParams(method, novaApi[method].params, rawParams));
  }
}

/** What a call may name as its host: `local` (the default) or a saved host's name. */
function checkHost(host: unknown): string {
  const parsed = parseHostName(typeof host === 'string' ? host : '');
  if (!parsed.ok) throw new NovaError('invalid_argument', parsed.message);
  return parsed.value;
}

function checkedParams<S extends z.ZodType>(method: MethodName, schema: S, rawParams: unknown): z.output<S> {
  const parsed = schema.safeParse(rawParams ?? {});
  if (!parsed.success) throw schemaError(`Invalid parameters for ${method}`, parsed.error);
  return parsed.data;
}
