// The `http` probe: GET of the path on the guest's address and port (plain HTTP, no
// redirects followed); it passes when the answer's status is the one the check names.
import { request } from 'node:http';
import type { Probe } from './health-monitor.js';
import { describeSocketError, noAddressLine, type AddressOf } from './tcp-probe.js';

function getStatus(url: string, signal: AbortSignal): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', signal, headers: { 'user-agent': 'nova-health' } }, (res) => {
      // The status is all we need: drop the body rather than buffer it.
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.once('error', reject);
    req.end();
  });
}

export function httpProbe(addressOf: AddressOf, port: number, path: string, status: number): Probe {
  return async (signal) => {
    const host = await addressOf();
    if (!host) return { ok: false, line: noAddressLine('http') };
    const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}${path}`;
    try {
      const got = await getStatus(url, signal);
      return { ok: got === status, line: got === status ? `HTTP ${got} from ${url}` : `HTTP ${got} from ${url}, expected ${status}` };
    } catch (err) {
      return { ok: false, line: `${url}: ${describeSocketError(err)}` };
    }
  };
}
