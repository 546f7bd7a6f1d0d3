// `nova web`: the app's UI in a browser, served on 127.0.0.1 with a per-run token, or
// with --listen on another address over TLS to clients with a certificate or an API token.
import { fileURLToPath } from 'node:url';
import { InvalidArgumentError, type Command } from 'commander';
import { NOVA_VERSION } from '../../../src-shared/index.js';
import { ConsoleProxy, helperConsoleDeps } from '../../core/console-proxy.js';
import { EventHub } from '../../core/event-hub.js';
import { HelperClient } from '../../core/helper-client.js';
import { ensureHelper } from '../../core/helper-launcher.js';
import { readMetricsSnapshot, renderOpenMetrics } from '../../core/open-metrics.js';
import { remoteConsoleOpener } from '../../core/hosts/remote-console.js';
import { savedHostPool } from '../../core/hosts/saved-host-pool.js';
import { NovaApiHandlers } from '../../core/nova-api-handlers.js';
import { parseListenAddress } from '../../core/web-listen.js';
import { WebServer, type WebServerOptions } from '../../core/web-server.js';
import { openInBrowser } from '../browser-open.js';
import { bundledHelperScript, type CliContext } from '../cli-context.js';
import { readWebUrl, writeWebUrl } from '../web-url-file.js';
import { isRemoteListen, prepareRemoteWeb, type WebTlsFlags } from './web-remote-options.js';

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function parseListen(value: string): string {
  try {
    parseListenAddress(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
  return value;
}

function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('a port is 0-65535 (0 picks a free one)');
  return n;
}

export function registerWebCommand(program: Command, ctx: CliContext): void {
  program
    .command('web')
    .description('Serve the Nova UI to a browser on 127.0.0.1 (token-protected), or with --listen over TLS to other machines')
    .option('--port <n>', 'port on 127.0.0.1 (0 picks a free one)', parsePort, 7420)
    .option('--listen <addr[:port]>', 'listen on this address; any but loopback serves HTTPS only, to client certificates or API tokens', parseListen)
    .option('--tls', 'serve HTTPS even on loopback (a self-signed certificate unless --tls-cert)')
    .option('--no-tls', 'plain HTTP: refused for any address but loopback')
    .option('--tls-cert <file>', 'the PEM certificate to serve (with --tls-key); else Nova makes a self-signed one and prints its fingerprint')
    .option('--tls-key <file>', 'the PEM private key of --tls-cert')
    .option('--client-ca <file>', 'admit only clients whose certificate this CA signed (mutual TLS)')
    .option('--name <host>', 'a name browsers use to reach this host (repeatable); the listen address is always one', collect, [])
    .option('--renderer-dir <dir>', 'the built renderer', fileURLToPath(new URL('../renderer', import.meta.url)))
    .option('--open', "open the UI in the desktop's browser", false)
    .option('--print-url', 'print the address (with its token) of the nova web already running on --port, and exit', false)
    .action(async (opts: WebTlsFlags & { port: number; listen?: string; rendererDir: string; open: boolean; printUrl: boolean }) => {
      if (opts.printUrl) {
        const running = readWebUrl(opts.port);
        if (!running) throw new Error(`no nova web of yours runs on port ${opts.port}; start one with "nova web"`);
        ctx.io.stdout(`${running}\n`);
        return;
      }
      const listen = opts.listen === undefined ? { host: '127.0.0.1', port: opts.port } : parseListenAddress(opts.listen, opts.port);
      const remote = isRemoteListen(listen, opts) ? await prepareRemoteWeb(listen, opts, (line) => ctx.io.stderr(`nova web: ${line}\n`)) : null;
      const g = ctx.globals();
      if (g.autostart) {
        try {
          await ensureHelper({ socketPath: g.socket, stateDir: g.stateDir, helperScript: bundledHelperScript() });
        } catch (err) {
          // The UI still comes up and shows the helper as disconnected, reconnecting.
          ctx.io.stderr(`nova: warning: ${(err as Error).message}\n`);
        }
      }
      const helper = new HelperClient({ socketPath: g.socket, reconnect: true });
      helper.start();
      const events = new EventHub(helper);
      const pool = savedHostPool((e) => events.publish(e));
      const handlers = new NovaApiHandlers({ helper, mode: 'web', version: NOVA_VERSION, publish: (e) => events.publish(e), pool });
      const consoles = new ConsoleProxy({ ...helperConsoleDeps(helper), openRemote: remoteConsoleOpener() });
      const openMetrics = async () => renderOpenMetrics(await readMetricsSnapshot(helper));
      const serve = async (port: number) => {
        const where: Partial<WebServerOptions> = remote?.options ?? { host: listen.host, port };
        const server = new WebServer(handlers, events, { rendererDir: opts.rendererDir, consoles, openMetrics, ...where, port });
        return { server, url: await server.listen() };
      };
      let served;
      try {
        served = await serve(listen.port);
      } catch (err) {
        // Launched again from the menu while the first one still serves: the first one's
        // token is not ours to read, so this launch serves on a free port of its own.
        if (!opts.open || remote || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
        served = await serve(0);
      }
      const { server, url } = served;
      ctx.io.stdout(`Nova web UI: ${url}\n`);
      for (const line of remote?.banner ?? []) ctx.io.stdout(`${line}\n`);
      // A remote listener's address carries no credential: there is nothing for --print-url to keep.
      const removeUrl = remote ? () => undefined : writeWebUrl(Number(new URL(url).port), url);
      const page = opts.open ? await openInBrowser(url) : null;
      if (page && !page.launched) ctx.io.stderr('nova: could not start xdg-open; open the URL above in a browser\n');
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      page?.dispose();
      removeUrl();
      consoles.close();
      await server.close();
      events.dispose();
      pool.close();
      helper.close();
    });
}
