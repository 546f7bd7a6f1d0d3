// GPUs in capsules (the container side of "GPU-first"): which /dev/dri nodes a capsule
// asks for, and the nodes a run was given, as the capsule's inspect lists them. The
// helper resolves them on the host at each start (helper/src/devices/gpu-nodes.ts).
import { z } from 'zod';
import { parseText } from './vocabulary/parsed.js';
import { parseGpuNode } from './vocabulary/gpu-node.js';
import { syntaxSchema } from './vocabulary/syntax-schema.js';

export const GpuNodeSchema = syntaxSchema<string>((v) => parseText(v, 'a GPU device node such as "renderD128"', parseGpuNode));

/** A list of nodes, or "all": every render and card node /dev/dri has when the capsule starts. */
export const CapsuleGpusSchema = z.union([z.literal('all'), z.array(GpuNodeSchema).min(1).max(16)]);
export type CapsuleGpus = z.infer<typeof CapsuleGpusSchema>;

/** A device node a run was given: where it is inside, and the numbers its cgroup rule allows. */
export const GpuDeviceSchema = z.strictObject({
  path: z.string(),
  major: z.number().int().nonnegative(),
  minor: z.number().int().nonnegative(),
});
export type GpuDevice = z.infer<typeof GpuDeviceSchema>;
