// Shared by the NovaFile's test files: one small file per bad input, each giving exactly
// one diagnostic at the expected line, column and key, with the expected words.
import { expect, it } from 'vitest';
import { parseNovaFile } from './novafile-parser.js';

export interface DiagnosticCase {
  name: string;
  toml: string;
  line: number;
  column: number;
  key: string;
  message: RegExp;
}

export function itReportsEachAtItsLine(cases: readonly DiagnosticCase[]): void {
  for (const c of cases) {
    it(`reports ${c.name} at its line`, () => {
      const { config, diagnostics } = parseNovaFile(c.toml, 'NovaFile.toml', '/p');
      expect(config).toBeNull();
      expect(diagnostics).toHaveLength(1);
      expect(diagnostics[0]).toMatchObject({ line: c.line, column: c.column, key: c.key });
      expect(diagnostics[0]?.message).toMatch(c.message);
    });
  }
}
