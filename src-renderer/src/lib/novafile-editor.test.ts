import { describe, expect, it } from 'vitest';
import type { NovaFileDiagnostic } from '../../../src-shared/index.js';
import { lineCount, problemsByLine, problemText } from './novafile-editor.js';

const diag = (line: number, column: number, message: string, over: Partial<NovaFileDiagnostic> = {}): NovaFileDiagnostic => ({ severity: 'error', file: 'NovaFile.toml', line, column, message, ...over });

describe('problemsByLine', () => {
  it('places each problem at its line, in column order, with its key', () => {
    const text = 'project = "lab"\n[capsule.web]\nmemory = "lots"\n';
    const byLine = problemsByLine([diag(3, 10, 'not a size', { key: 'capsule.web.memory' }), diag(3, 1, 'first'), diag(1, 1, 'warn', { severity: 'warning' })], text);
    expect([...byLine.keys()].sort()).toEqual([1, 3]);
    expect(byLine.get(3)!.map((p) => p.message)).toEqual(['first', 'capsule.web.memory: not a size']);
    expect(problemText(byLine.get(1)![0]!)).toBe('Line 1, column 1: warning: warn');
  });

  it('clamps a line past the end to the last line', () => {
    expect(lineCount('a\nb')).toBe(2);
    expect([...problemsByLine([diag(9, 1, 'unterminated')], 'a\nb').keys()]).toEqual([2]);
  });
});
