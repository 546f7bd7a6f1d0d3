// A trivial helper method's round trip (main's HelperClient -> helper process, with
// schema validation and authorization -> back) against a raw JSON echo over a unix
// socket served by a process of its own, as the helper is: the floor any socket protocol
// between two processes pays (an echo in the benchmark's own process skips the second
// event loop's wake-up, which is most of that floor).
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HelperClient } from '../src-main/core/helper-client.js';
import { interleaved, type Benchmark, waitForSocket } from './bench-harness.js';

/** The echo server: a bare Node process answering each JSON line with its params. */
const ECHO_SERVER = `
const net = require('node:net');
net.createServer((s) => {
  let buf = '';
  s.on('data', (d) => {
    buf += d.toString();
    let nl;
    while ((nl = buf.indexOf('\\n')) !== -1) {
      const msg = JSON.parse(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
      s.write(JSON.stringify({ jsonrpc: '2.0', id: msg.id, result: msg.params }) + '\\n');
    }
  });
}).listen(process.argv[1]);
`;

export const helperRoundTrip: Benchmark = {
  name: 'helper round trip (helper.ping)',
  async run() {
    const dir = await mkdtemp(join(tmpdir(), 'nv8n-bench-rt-'));
    const socketPath = join(dir, 'helper.sock');
    const helper = spawn(process.execPath, ['out/helper/nova-helper.mjs', '--socket', socketPath, '--state-dir', join(dir, 'state'), '--log-level', 'warn'], { stdio: 'ignore' });
    const echoPath = join(dir, 'echo.sock');
    const echo = spawn(process.execPath, ['-e', ECHO_SERVER, echoPath], { stdio: 'ignore' });
    try {
      await waitForSocket(socketPath);
      await waitForSocket(echoPath);
      const client = new HelperClient({ socketPath, reconnect: false });
      client.start();
      await client.waitForConnection();

      const raw = createConnection(echoPath);
      await new Promise<void>((r) => raw.once('connect', () => r()));
      let pending: ((v: unknown) => void) | null = null;
      let rbuf = '';
      raw.on('data', (d) => {
        rbuf += d.toString();
        let nl;
        while ((nl = rbuf.indexOf('\n')) !== -1) {
          const line = rbuf.slice(0, nl);
          rbuf = rbuf.slice(nl + 1);
          const p = pending;
          pending = null;
          p?.(JSON.parse(line));
        }
      });
      let id = 0;
      const rawOnce = () =>
        new Promise<void>((resolve) => {
          pending = () => resolve();
          raw.write(JSON.stringify({ jsonrpc: '2.0', id: ++id, method: 'helper.ping', params: { payload: 'x' } }) + '\n');
        });
      const novaOnce = async () => {
        await client.call('helper.ping', { payload: 'x' });
      };
      const { nova, raw: rawSample } = await interleaved(novaOnce, rawOnce, 10, 500);
      raw.destroy();
      client.close();
      return { name: this.name, nova, raw: rawSample, unit: 'ms', target: 2 };
    } finally {
      helper.kill('SIGTERM');
      echo.kill('SIGTERM');
      await Promise.all([new Promise((r) => helper.once('exit', r)), new Promise((r) => echo.once('exit', r))]);
      await rm(dir, { recursive: true, force: true });
    }
  },
};
