// The bridge from vocabulary parsers to zod: the contract's schemas are made of these,
// so a value the helper refuses carries the same message the CLI, the NovaFile and the
// forms give, and each schema's output is the parser's typed value.
import { z } from 'zod';
import type { Parsed } from './parsed.js';

function issue(ctx: z.core.$RefinementCtx, message: string, input: unknown): never {
  ctx.addIssue({ code: 'custom', message, input });
  return z.NEVER;
}

/**
 * A schema that runs `parse` on whatever it is given. `In` is what callers may send
 * (the parser reports anything else in words), `Out` what the parser returns.
 */
export function syntaxSchema<Out, In = string>(parse: (input: unknown) => Parsed<Out>): z.ZodType<Out, In> {
  const schema = z.unknown().transform((input, ctx): Out => {
    const result = parse(input);
    return result.ok ? result.value : issue(ctx, result.message, input);
  });
  // The declared input narrows `unknown` to what callers should write; the parser checks it.
  return schema as unknown as z.ZodType<Out, In>;
}

/**
 * A value written either in its text syntax ("8080:80/udp") or as the object that syntax
 * stands for ({ hostPort, guestPort, protocol }): text is parsed first, and either way the
 * object is checked by `shape`, so stored records (objects) and typed input (text) meet
 * the same rules and come out the same.
 */
export function syntaxOrShape<S extends z.ZodType>(
  parse: (text: string) => Parsed<z.input<S>>,
  shape: S,
): z.ZodType<z.output<S>, string | z.input<S>> {
  const schema = z.preprocess((input, ctx) => {
    if (typeof input !== 'string') return input;
    const result = parse(input);
    return result.ok ? result.value : issue(ctx, result.message, input);
  }, shape);
  return schema as unknown as z.ZodType<z.output<S>, string | z.input<S>>;
}
