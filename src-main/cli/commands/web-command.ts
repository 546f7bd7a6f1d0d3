// `nova web`: the app's UI in a browser, served on 127.0.0.1 with a per-run token.
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
import { WebServer } from '../../core/web-server.js';
import { openInBrowser } from '../browser-open.js';
import { bundledHelperScript, type CliContext } from '../cli-context.js';
import { readWebUrl, writeWebUrl } from '../web-url-file.js';

function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('a port is 0-65535 (0 picks a free one)');
  return n;
}

export function registerWebCommand(program: Command, ctx: CliContext): void {
  program
    .command('web')
    .description('Serve the Nova UI to a browser on 127.0.0.1 (token-protected)')
    .option('--port <n>', 'port on 127.0.0.1 (0 picks a free one)', parsePort, 7420)
    .option('--renderer-dir <dir>', 'the built renderer', fileURLToPath(new URL('../renderer', import.meta.url)))
    .option('--open', "open the UI in the desktop's browser", false)
    .option('--print-url', 'print the address (with its token) of the nova web already running on --port, and exit', false)
    .action(async (opts: { port: number; rendererDir: string; open: boolean; printUrl: boolean }) => {
      if (opts.printUrl) {
        const running = readWebUrl(opts.port);
        if (!running) throw new Error(`no nova web of yours runs on port ${opts.port}; start one with "nova web"`);
        ctx.io.stdout(`${running}\n`);
        return;
      }
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
        const server = new WebServer(handlers, events, { rendererDir: opts.rendererDir, port, consoles, openMetrics });
        return { server, url: await server.listen() };
      };
      let served;
      try {
        served = await serve(opts.port);
      } catch (err) {
        // Launched again from the menu while the first one still serves: the first one's
        // token is not ours to read, so this launch serves on a free port of its own.
        if (!opts.open || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
        served = await serve(0);
      }
      const { server, url } = served;
      ctx.io.stdout(`Nova web UI: ${url}\n`);
      const removeUrl = writeWebUrl(Number(new URL(url).port), url);
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
