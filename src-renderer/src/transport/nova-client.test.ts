import { describe, expect, it } from 'vitest';
import { isNovaError, type NovaError } from '../../../src-shared/index.js';
import { sampleReport } from '../lib/sample-report.js';
import { FakeTransport } from './fake-transport.js';
import { NovaClient } from './nova-client.js';

describe('NovaClient.call', () => {
  it('sends params with defaults applied and returns the validated result', async () => {
    const transport = new FakeTransport(() => ({ ok: true, value: sampleReport() }));
    const client = new NovaClient(transport);
    const report = await client.call('host.check');
    expect(report.hostname).toBe('testhost');
    expect(transport.calls[0]?.params).toEqual({ refresh: false });
  });

  it('bounds each call by the method timeout plus a margin', async () => {
    const transport = new FakeTransport(() => ({ ok: true, value: sampleReport() }));
    await new NovaClient(transport).call('host.check', { refresh: true });
    expect(transport.calls[0]?.options.timeoutMs).toBe(65_000);
  });

  it('throws a NovaError that keeps the code, message and details of an error envelope', async () => {
    const transport = new FakeTransport(() => ({
      ok: false,
      error: { code: 'not_authorized', message: 'polkit said no', details: { action: 'org.nova.host.inspect' } },
    }));
    const err = await new NovaClient(transport).call('host.check').catch((e: unknown) => e);
    expect(isNovaError(err, 'not_authorized')).toBe(true);
    expect((err as NovaError).message).toBe('polkit said no');
    expect((err as NovaError).details).toEqual({ action: 'org.nova.host.inspect' });
  });

  it('refuses a result that does not match the method schema as a protocol error', async () => {
    const transport = new FakeTransport(() => ({ ok: true, value: { ...sampleReport(), accelerator: 'hvf' } }));
    const err = await new NovaClient(transport).call('host.check').catch((e: unknown) => e);
    expect(isNovaError(err, 'protocol')).toBe(true);
    expect((err as NovaError).details).toMatchObject({ issues: [{ path: 'accelerator' }] });
  });

  it('refuses bad params before anything is sent', async () => {
    const transport = new FakeTransport();
    const client = new NovaClient(transport);
    // A caller outside the type system (or a stale build) passing a wrong type.
    const err = await client.call('host.check', { refresh: 'yes' } as unknown as { refresh: boolean }).catch((e: unknown) => e);
    expect(isNovaError(err, 'invalid_argument')).toBe(true);
    expect(transport.calls).toHaveLength(0);
  });
});

describe('NovaClient.on', () => {
  it('delivers only the named event, and stops after unsubscribe', () => {
    const transport = new FakeTransport();
    const client = new NovaClient(transport);
    const seen: string[] = [];
    const off = client.on('host.checked', (p) => seen.push(p.generatedAt));
    transport.emit({ name: 'connection.changed', payload: { connected: true } });
    transport.emit({ name: 'host.checked', payload: { generatedAt: 'A' } });
    off();
    transport.emit({ name: 'host.checked', payload: { generatedAt: 'B' } });
    expect(seen).toEqual(['A']);
  });
});
