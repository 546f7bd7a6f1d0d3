// The `tcp` probe: a connection to the guest's address on its Nova network, from the
// helper's side of the bridge; it passes once the guest accepts. The address is looked up
// at each check, since a VM's DHCP lease may come after its start.
import { connect } from 'node:net';
import type { Probe } from './health-monitor.js';

/** The guest's address (no prefix), or null while it has none. */
export type AddressOf = () => Promise<string | null>;

/** Resolves once connected; rejects with the socket's own words (ECONNREFUSED ...). */
export function connectOnce(host: string, port: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, signal });
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
    socket.once('error', (err) => {
      socket.destroy();
      reject(err);
    });
  });
}

export function describeSocketError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'EHOSTUNREACH') return 'no route to the guest';
  return code ?? (err instanceof Error ? err.message : String(err));
}

export function noAddressLine(kind: string): string {
  return `no address on its Nova network yet: nothing to ${kind === 'tcp' ? 'connect to' : 'ask'}`;
}

export function tcpProbe(addressOf: AddressOf, port: number): Probe {
  return async (signal) => {
    const host = await addressOf();
    if (!host) return { ok: false, line: noAddressLine('tcp') };
    try {
      await connectOnce(host, port, signal);
      return { ok: true, line: `connected to ${host}:${port}` };
    } catch (err) {
      return { ok: false, line: `${host}:${port}: ${describeSocketError(err)}` };
    }
  };
}
