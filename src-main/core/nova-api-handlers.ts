// The NovaApi handler table main serves to the renderer (over IPC or WebSocket):
// helper-served methods are forwarded to the helper, the rest are served here.
// `invoke` is the one entry point: it validates the method and params and always
// resolves to an envelope, so error codes survive any transport.
import {
  isMethodName,
  novaApi,
  NovaError,
  schemaError,
  toErrorShape,
  type AppInfo,
  type Envelope,
  type HelperMethodName,
  type MethodName,
  type ParamsOf,
  type ResultOf,
} from '../../src-shared/index.js';
import type { HelperClient } from './helper-client.js';
import { MetricsHistory } from './metrics-history.js';
import { validateNovaFile } from './novafile/novafile-parser.js';
import { RemoteViewerLauncher } from './remote-viewer-launcher.js';

type MainMethodName = Exclude<MethodName, HelperMethodName>;
export type MainHandlers = { [M in MainMethodName]: (params: ParamsOf<M>) => Promise<ResultOf<M>> };

export interface NovaApiDeps {
  helper: HelperClient;
  mode: AppInfo['mode'];
  version: string;
  /** Serves vm.metricsHistory; without it every history is empty. */
  metrics?: MetricsHistory;
  /** Where console WebSockets go when not to the page's own origin (Electron's proxy). */
  consoleEndpoint?: () => { base: string; token: string };
  /** Serves vm.openViewer and vm.viewerSupport; by default asks this helper, in main's own session. */
  viewer?: RemoteViewerLauncher;
}

export class NovaApiHandlers {
  private readonly main: MainHandlers;

  constructor(private readonly deps: NovaApiDeps) {
    const viewer =
      deps.viewer ??
      new RemoteViewerLauncher({
        consoleInfo: (name) => deps.helper.call('vm.consoleInfo', { name }),
        vmInfo: (name) => deps.helper.call('vm.get', { name }),
      });
    this.main = {
      'app.info': async () => ({
        version: deps.version,
        mode: deps.mode,
        helper: { socket: deps.helper.socketPath, connected: deps.helper.isConnected },
      }),
      'novafile.validate': async ({ text, fileName }) => validateNovaFile(text, fileName),
      'vm.metricsHistory': async ({ name, range }) => (deps.metrics ?? new MetricsHistory()).query(name, range),
      'vm.consoleEndpoint': async () => deps.consoleEndpoint?.() ?? { base: null, token: null },
      'vm.viewerSupport': async () => viewer.support(),
      'vm.openViewer': async ({ name }) => viewer.open(name),
    };
  }

  async invoke(method: string, rawParams: unknown): Promise<Envelope<unknown>> {
    try {
      return { ok: true, value: await this.call(method, rawParams) };
    } catch (err) {
      return { ok: false, error: toErrorShape(err) };
    }
  }

  private async call(method: string, rawParams: unknown): Promise<unknown> {
    if (!isMethodName(method)) throw new NovaError('unknown_method', `Unknown method "${method}"`);
    const def = novaApi[method];
    const parsed = def.params.safeParse(rawParams ?? {});
    if (!parsed.success) throw schemaError(`Invalid parameters for ${method}`, parsed.error);
    if (def.served.by === 'helper') {
      return this.deps.helper.callRaw(method as HelperMethodName, parsed.data);
    }
    const handler = this.main[method as MainMethodName] as (p: unknown) => Promise<unknown>;
    return handler(parsed.data);
  }
}
