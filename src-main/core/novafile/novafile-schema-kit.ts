// The building blocks of the NovaFile schema. A NovaFile key takes its contract field's
// schema (src-shared) as is, so the helper's verdict on a value is `nova validate`'s; what
// the NovaFile adds on top is its words: "expected X, got Y" where zod would say "Invalid
// input", a missing key named as such, and the rules between keys of one table.
import { z } from 'zod';
import { describeValue, parseName, type NameKind, type Parsed } from '../../../src-shared/vocabulary/index.js';

type IssueLike = { readonly input?: unknown };

/** "expected X, got Y"; a missing required key reads "required key is missing; expected X". */
export function expected(what: string): (issue: IssueLike) => string {
  return (issue) =>
    issue.input === undefined
      ? `required key is missing; expected ${what}`
      : `expected ${what}, got ${describeValue(issue.input)}`;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let current = input;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

export interface LayerOptions {
  /** Only the text syntax: the contract also takes the object a text stands for, a NovaFile does not. */
  readonly text?: boolean;
}

/**
 * The contract's schema with the NovaFile's words: the vocabulary's own messages (custom
 * issues) pass through, zod's generic ones become "expected <what>, got <value>".
 */
export function layered<S extends z.ZodType>(schema: S, what: string | ((input: unknown) => string), options: LayerOptions = {}) {
  const explain = typeof what === 'string' ? (input: unknown) => expected(what)({ input }) : what;
  return z.unknown().transform((input, ctx): z.output<S> => {
    if (input === undefined || (options.text === true && typeof input !== 'string')) {
      ctx.addIssue({ code: 'custom', message: typeof what === 'string' ? expected(what)({ input }) : explain(input), input });
      return z.NEVER;
    }
    const result = schema.safeParse(input);
    if (result.success) return result.data;
    for (const issue of result.error.issues) {
      const message = issue.code === 'custom' ? issue.message : explain(valueAt(input, issue.path));
      ctx.addIssue({ code: 'custom', message, path: [...issue.path], input });
    }
    return z.NEVER;
  });
}

/** `"pc" is not a machine type; use "q35" or "microvm"`, for a contract enum. */
export function choiceOf(values: readonly string[], what: string): (input: unknown) => string {
  const choices = values.map((v) => JSON.stringify(v));
  const list = choices.length > 1 ? `${choices.slice(0, -1).join(', ')} or ${choices[choices.length - 1]}` : choices[0];
  return (input) => (input === undefined ? `required key is missing; expected ${what}` : `${describeValue(input)} is not ${what}; use ${list}`);
}

/** A string run through a vocabulary parser that the NovaFile uses as its own layer. */
export function parsedString<T>(what: string, parse: (s: string) => Parsed<T>) {
  return z.string({ error: expected(what) }).transform((s, ctx): T => {
    const result = parse(s);
    if (result.ok) return result.value;
    ctx.addIssue({ code: 'custom', message: result.message, input: s });
    return z.NEVER;
  });
}

export function text(what: string) {
  return z.string({ error: expected(what) });
}

export function list<S extends z.ZodType>(item: S, what: string) {
  return z.array(item, { error: expected(`a list of ${what}`) });
}

export function table<S extends z.core.$ZodLooseShape>(shape: S, what: string) {
  return z.strictObject(shape, { error: expected(what) });
}

/**
 * Runs a rule between keys of one table only when none of `keys` failed on its own,
 * so the rule sees typed values and each problem is reported once.
 */
export function whenValid(keys: readonly string[]) {
  return {
    when: (payload: { issues: readonly { path?: readonly PropertyKey[] }[] }) =>
      !payload.issues.some((issue) => keys.includes(String(issue.path?.[0]))),
  };
}

/** Marks an issue to be shown at the key rather than at its value. */
export const AT_KEY = { at: 'key' } as const;

/** [vm.NAME], [container.NAME], [network.NAME]: a table of tables whose keys are names of `kind`. */
export function namedTables<S extends z.ZodType>(group: string, kind: NameKind, label: string, item: S) {
  return z
    .record(z.string(), item, { error: expected(`a table of ${label}s, e.g. [${group}.NAME]`) })
    .superRefine(
      (tables, ctx) => {
        for (const name of Object.keys(tables)) {
          const parsed = parseName(kind, name);
          if (!parsed.ok) ctx.addIssue({ code: 'custom', message: parsed.message, path: [name], params: AT_KEY });
        }
      },
      // Names are checked even when a table's contents fail, so every problem shows at once.
      { when: () => true },
    );
}
