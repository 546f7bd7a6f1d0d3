// A strict reader of the OpenMetrics text format (the subset of gauges, counters and
// labels Nova writes), so tests and the bench check /metrics the way a scraper reads it:
// metadata before samples, each family once and contiguous, names and label syntax as the
// specification's ABNF has them, numbers that parse, and the closing `# EOF`.

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface Family {
  readonly name: string;
  readonly type: string;
  readonly help: string | null;
  readonly samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const TYPES = new Set(['gauge', 'counter', 'stateset', 'info', 'histogram', 'gaugehistogram', 'summary', 'unknown']);
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)( \S+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)/y;

export function parseOpenMetrics(text: string): Map<string, Family> {
  if (!text.endsWith('# EOF\n') && !text.endsWith('# EOF')) throw new Error('does not end with "# EOF"');
  const lines = text.replace(/\n$/, '').split('\n');
  const families = new Map<string, Family & { help: string | null }>();
  let current: (Family & { help: string | null }) | null = null;
  lines.forEach((line, i) => {
    const where = `line ${i + 1}`;
    if (line === '# EOF') {
      if (i !== lines.length - 1) throw new Error(`${where}: "# EOF" before the end`);
      return;
    }
    const meta = /^# (TYPE|HELP|UNIT) (\S+)(?: (.*))?$/.exec(line);
    if (meta) {
      const [, kind, name, rest = ''] = meta as unknown as [string, string, string, string?];
      if (!NAME.test(name)) throw new Error(`${where}: bad metric name ${name}`);
      let family = families.get(name);
      if (family && family !== current) throw new Error(`${where}: family ${name} is not contiguous`);
      if (!family) {
        family = { name, type: 'unknown', help: null, samples: [] };
        families.set(name, family);
        current = family;
      }
      if (family.samples.length > 0) throw new Error(`${where}: metadata of ${name} after its samples`);
      if (kind === 'TYPE') {
        if (!TYPES.has(rest)) throw new Error(`${where}: unknown type ${rest}`);
        (family as { type: string }).type = rest;
      }
      if (kind === 'HELP') family.help = rest;
      return;
    }
    if (line.startsWith('#')) throw new Error(`${where}: a comment that is not TYPE, HELP, UNIT or EOF`);
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`${where}: not a sample: ${line}`);
    const [, name, , labelText, valueText] = m as unknown as [string, string, string | undefined, string | undefined, string];
    const family = families.get(name) ?? null;
    if (!family || family !== current) throw new Error(`${where}: sample of ${name} outside its family`);
    const value = valueText === '+Inf' ? Infinity : valueText === '-Inf' ? -Infinity : Number(valueText);
    if (valueText !== 'NaN' && Number.isNaN(value)) throw new Error(`${where}: value ${valueText} is not a number`);
    family.samples.push({ name, labels: parseLabels(labelText ?? '', where), value });
  });
  return families;
}

function parseLabels(text: string, where: string): Record<string, string> {
  const labels: Record<string, string> = {};
  LABEL.lastIndex = 0;
  while (LABEL.lastIndex < text.length) {
    const m = LABEL.exec(text);
    if (!m) throw new Error(`${where}: bad labels {${text}}`);
    const [, key, raw] = m as unknown as [string, string, string];
    if (key in labels) throw new Error(`${where}: label ${key} twice`);
    labels[key] = raw.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
  }
  return labels;
}
