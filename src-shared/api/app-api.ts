// Methods main serves itself, without the helper.
import { z } from 'zod';
import { NovaFileValidationSchema } from '../novafile.js';
import { defineMethod } from './define.js';

const main = { by: 'main' } as const;

export const AppInfoSchema = z.strictObject({
  version: z.string(),
  mode: z.enum(['electron', 'web', 'cli']),
  helper: z.strictObject({
    socket: z.string(),
    connected: z.boolean(),
  }),
});
export type AppInfo = z.infer<typeof AppInfoSchema>;

export const appMethods = {
  'app.info': defineMethod({
    summary: 'Version, transport mode and helper connection',
    params: z.strictObject({}),
    result: AppInfoSchema,
    served: main,
  }),
  'novafile.validate': defineMethod({
    summary: 'Validate NovaFile text and report every problem with its line and column',
    params: z.strictObject({
      text: z.string().max(1024 * 1024),
      fileName: z.string().max(4096).default('NovaFile.toml'),
    }),
    result: NovaFileValidationSchema,
    served: main,
  }),
} as const;
