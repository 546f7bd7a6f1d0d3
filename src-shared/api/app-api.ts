// Methods main serves itself, without the helper.
import { z } from 'zod';
import { POLKIT_ACTIONS } from '../actions.js';
import { NOVAFILE_TEXT_MAX_CHARS, NovaFileValidationSchema } from '../novafile.js';
import { VmNameSchema } from '../vm.js';
import { defineMethod } from './define.js';

const main = { by: 'main' } as const;
// Reads of nothing but main itself (its version, a text it is given, its own PATH).
const mainView = { by: 'main', action: POLKIT_ACTIONS.hostInspect } as const;

export const AppInfoSchema = z.strictObject({
  version: z.string(),
  mode: z.enum(['electron', 'web', 'cli']),
  helper: z.strictObject({
    socket: z.string(),
    connected: z.boolean(),
  }),
});
export type AppInfo = z.infer<typeof AppInfoSchema>;

/** Whether main can open SPICE displays in remote-viewer in its own graphical session. */
export const ViewerSupportSchema = z.strictObject({
  available: z.boolean(),
  /** remote-viewer's path as main found it on its PATH, or null. */
  program: z.string().nullable(),
  /** The session main would show it in (WAYLAND_DISPLAY or DISPLAY), or null. */
  display: z.string().nullable(),
  /** Why it is not available and what to do; null when it is. */
  problem: z.string().nullable(),
});
export type ViewerSupport = z.infer<typeof ViewerSupportSchema>;

export const appMethods = {
  'app.info': defineMethod({
    summary: 'Version, transport mode and helper connection',
    params: z.strictObject({}),
    result: AppInfoSchema,
    served: mainView,
  }),
  'novafile.validate': defineMethod({
    summary: 'Validate NovaFile text and report every problem with its line and column',
    params: z.strictObject({
      text: z.string().max(NOVAFILE_TEXT_MAX_CHARS),
      fileName: z.string().max(4096).default('NovaFile.toml'),
    }),
    result: NovaFileValidationSchema,
    served: mainView,
  }),
  'vm.viewerSupport': defineMethod({
    summary: 'Whether remote-viewer (virt-viewer) is installed and main has a graphical session to open it in',
    params: z.strictObject({}),
    result: ViewerSupportSchema,
    served: mainView,
  }),
  'vm.openViewer': defineMethod({
    summary: "Open a running VM's SPICE display in remote-viewer on this host, in main's session; a saved host's VM through an ssh relay that ends with the viewer",
    params: z.strictObject({
      name: VmNameSchema,
      /** Where the VM runs: `local` (this machine) or a saved host's name. */
      host: z.string().min(1).max(64).default('local'),
    }),
    result: z.strictObject({ pid: z.number().int().positive(), uri: z.string() }),
    served: main,
  }),
} as const;
