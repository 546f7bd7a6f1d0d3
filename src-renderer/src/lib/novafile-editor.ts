// Where the NovaFile editor shows problems: each diagnostic on its line (one past the
// end is clamped to the last line, as a parser may point after a final newline), and
// the gutter's line numbers for the text as typed.
import type { NovaFileDiagnostic } from '../../../src-shared/index.js';

export function lineCount(text: string): number {
  return text.split('\n').length;
}

export interface LineProblem {
  readonly line: number;
  readonly column: number;
  readonly severity: NovaFileDiagnostic['severity'];
  readonly message: string;
}

/** Problems by line, each line's in column order, errors before warnings at one column. */
export function problemsByLine(diagnostics: readonly NovaFileDiagnostic[], text: string): Map<number, LineProblem[]> {
  const last = lineCount(text);
  const byLine = new Map<number, LineProblem[]>();
  for (const d of diagnostics) {
    const line = Math.min(Math.max(d.line, 1), last);
    const message = d.key ? `${d.key}: ${d.message}` : d.message;
    const list = byLine.get(line) ?? [];
    list.push({ line, column: d.column, severity: d.severity, message });
    byLine.set(line, list);
  }
  for (const list of byLine.values()) list.sort((a, b) => a.column - b.column || (a.severity === b.severity ? 0 : a.severity === 'error' ? -1 : 1));
  return byLine;
}

/** "Line 7, column 10: ..." for screen readers and the list under the editor. */
export function problemText(p: LineProblem): string {
  return `Line ${p.line}, column ${p.column}: ${p.severity === 'error' ? 'error' : 'warning'}: ${p.message}`;
}
