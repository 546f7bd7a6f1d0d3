// Mutated NovaFiles, seeded (NOVA_SEED repeats a run; NOVA_SOAK=1 runs 10,000): the parser
// never throws, never takes a second, and every refusal it gives is located (a line and a
// column inside the text) and passes the contract's diagnostic schema.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NovaFileDiagnosticSchema } from '../../../src-shared/novafile.js';
import { hostileJson, mutateText } from '../../../src-shared/testing/hostile-values.js';
import { runSeed, seededRandom, soakCount } from '../../../src-shared/testing/seeded-random.js';
import { parseNovaFile } from './novafile-parser.js';

const REPO = resolve(import.meta.dirname, '../../..');
const SEEDS = ['hello', 'dev-lab'].map((p) => readFileSync(join(REPO, 'examples', p, 'NovaFile.toml'), 'utf8'));
const TOML_PIECES = [
  '[', ']', '[[', ']]', '=', '"', "'", '"""', "'''", '\n', '#', ',', '{', '}', '.', '\\', '\\u0000', '\r\n',
  '[vm.x]\n', '[capsule.x]\ncapsule = "a"\n', '[network.x]\n', 'memory = "1Gi"\n', 'depends_on = ["x"]\n', '[vm."__proto__"]\n',
  '[vm.constructor]\n', 'x = nan\n', 'x = inf\n', 'x = 1979-05-27T07:32:00Z\n', 'x = 0x7fffffffffffffff\n', 'a.b.c.d.e = 1\n',
];
const SEED = runSeed(process.env);
const COUNT = soakCount(process.env, 10_000, 500);

function mutant(r: ReturnType<typeof seededRandom>): string {
  let text = r.pick(SEEDS);
  for (let edits = 1 + r.int(6); edits > 0; edits--) {
    text = r.next() < 0.15
      ? text.replace(/= .*$/m, () => `= ${hostileJson(r, 20_000)}`)
      : mutateText(r, text, TOML_PIECES);
  }
  return text;
}

describe(`mutated NovaFiles (seed ${SEED}, ${COUNT} files)`, () => {
  it('are parsed or refused with located diagnostics, each within a second, never a throw', () => {
    const r = seededRandom(SEED);
    const failures: string[] = [];
    let refused = 0;
    for (let i = 0; i < COUNT && failures.length < 5; i++) {
      const text = mutant(r);
      const lines = text.split('\n').length;
      const t0 = performance.now();
      let result: ReturnType<typeof parseNovaFile>;
      try {
        result = parseNovaFile(text, 'NovaFile.toml', '/p');
      } catch (err) {
        failures.push(`#${i} threw ${String(err)}: ${JSON.stringify(text.slice(0, 300))}`);
        continue;
      }
      const ms = performance.now() - t0;
      if (ms > 1000) failures.push(`#${i} took ${Math.round(ms)} ms`);
      const errors = result.diagnostics.filter((d) => d.severity === 'error');
      if (!result.config) {
        refused++;
        if (errors.length === 0) failures.push(`#${i} refused without an error diagnostic: ${JSON.stringify(text.slice(0, 300))}`);
      }
      for (const d of result.diagnostics) {
        if (!NovaFileDiagnosticSchema.safeParse(d).success) failures.push(`#${i} diagnostic off the contract: ${JSON.stringify(d)}`);
        else if (d.line > lines + 1) failures.push(`#${i} diagnostic at line ${d.line} of ${lines}: ${d.message}`);
      }
    }
    expect(failures).toEqual([]);
    // The mutations must reach the refusals, or the test shows nothing.
    expect(refused).toBeGreaterThan(COUNT / 10);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  }, 600_000);
});
