// The CPU a migrated guest sees: the source's features, refused where the destination
// lacks one, trimmed where the destination has more; read from QEMU's own expansion.
import { describe, expect, it } from 'vitest';
import { cpuForIncoming, featuresOfProbeOutput, probeInput } from './cpu-features.js';

describe("a guest's CPU across a migration", () => {
  it('asks QEMU to expand the base model with the turned-off features', () => {
    const lines = probeInput('kvm', ['avx512f']).trim().split('\n').map((l) => JSON.parse(l) as { execute: string; arguments?: unknown });
    expect(lines.map((l) => l.execute)).toEqual(['qmp_capabilities', 'query-cpu-model-expansion', 'quit']);
    expect(lines[1]!.arguments).toEqual({ type: 'full', model: { name: 'host', props: { avx512f: false } } });
    expect(JSON.parse(probeInput('tcg', []).split('\n')[1]!)).toMatchObject({ arguments: { model: { name: 'max' } } });
  });

  it('reads the features turned on from the expansion, skipping events and other answers', () => {
    const out = [
      '{"QMP": {"version": {}}}',
      '{"return": {}}',
      '{"return": {"model": {"name": "max", "props": {"sse4.2": true, "avx2": false, "family": 15, "aes": true, "vendor": "AuthenticAMD"}}}}',
      '{"timestamp": {}, "event": "SHUTDOWN"}',
    ].join('\n');
    expect(featuresOfProbeOutput(out)).toEqual(['aes', 'sse4.2']);
    expect(() => featuresOfProbeOutput('{"error": {"class": "GenericError", "desc": "no such model"}}')).toThrow(/no such model/);
  });

  it('refuses naming what the destination lacks, and turns off what only it has', () => {
    expect(() => cpuForIncoming('web', ['aes', 'avx2', 'avx512f'], ['aes'])).toThrow(/web uses CPU features this host's CPU lacks \(avx2, avx512f\)/);
    expect(cpuForIncoming('web', ['aes'], ['aes', 'avx2'])).toEqual({ off: ['avx2'] });
    expect(cpuForIncoming('web', ['aes'], ['aes'])).toEqual({ off: [] });
  });
});
