// [container.NAME] (or [capsule.NAME]) in a NovaFile: the contract's capsule spec keys,
// with the image under `capsule`, volumes whose host paths may be relative to the
// NovaFile's folder, and an empty command refused as a likely slip.
import { z } from 'zod';
import { CapsuleSpecFieldsSchema, PublishedPortSchema, RestartPolicySchema } from '../../../src-shared/capsule.js';
import { parseEnvName, parseVolume } from '../../../src-shared/vocabulary/index.js';
import { AT_KEY, expected, layered, list, parsedString, table } from './novafile-schema-kit.js';
import { CapsuleHealthSchema, dependsOn } from './novafile-health-schema.js';
import { SnapshotTableSchema } from './novafile-snapshot-schema.js';
import { autostartKey } from './novafile-lifecycle-schema.js';
import { hostReference, networkReference } from './novafile-vm-schema.js';

const spec = CapsuleSpecFieldsSchema.shape;

const env = z
  .record(z.string(), layered(z.string().max(65_536), 'a string (quote numbers: "8080")'), {
    error: expected('a table of strings, e.g. env.API_KEY = "secret"'),
  })
  .superRefine(
    (vars, ctx) => {
      for (const name of Object.keys(vars)) {
        const parsed = parseEnvName(name);
        if (!parsed.ok) ctx.addIssue({ code: 'custom', message: parsed.message, path: [name], params: AT_KEY });
      }
    },
    { when: () => true },
  );

/** "host:guest[:ro]"; a relative host path is relative to the NovaFile's folder (the config resolves it). */
const volumes = list(parsedString('a volume such as "./data:/srv/data:ro"', parseVolume), 'volumes').superRefine((mounts, ctx) => {
  mounts.forEach((volume, index) => {
    if (mounts.findIndex((v) => v.target === volume.target) < index) {
      ctx.addIssue({ code: 'custom', path: [index], message: `${volume.target} is mounted twice in this capsule` });
    }
  });
});

export const capsuleShape = {
  capsule: layered(spec.image, 'the image to run, e.g. capsule = "ubuntu:22.04"'),
  command: layered(spec.command.unwrap(), 'a list of strings, e.g. ["nginx", "-g", "daemon off;"]')
    .refine((words) => words.length > 0, { error: "the command is empty; remove the key to run the image's default command" })
    .optional(),
  env: env.optional(),
  volumes: volumes.optional(),
  network: networkReference.optional(),
  host: hostReference.optional(),
  /** "host:guest[/tcp|/udp]"; clashes between capsules are checked across tables. */
  ports: list(layered(PublishedPortSchema, 'a port mapping such as "8080:80"', { text: true }), 'port mappings').optional(),
  /** CPU time as a number of CPUs; fractions allowed (0.5 = half a CPU). */
  cpu: layered(spec.cpus.unwrap(), 'a number of CPUs greater than 0, e.g. 0.5 or 2').optional(),
  /** MiB. */
  memory: layered(spec.memory.unwrap(), 'a memory limit such as "512Mi"').optional(),
  pids: layered(spec.pids.unwrap(), 'a whole number of processes from 1 to 4194304').optional(),
  restart: layered(RestartPolicySchema, 'a restart policy such as "on-failure:3"', { text: true }).optional(),
  /** Started by the helper when the host boots: true, or { order = 1, delay = "10s" }. */
  autostart: autostartKey.optional(),
  workdir: layered(spec.workdir.unwrap(), 'an absolute path such as "/srv/app"').optional(),
  user: layered(spec.user.unwrap(), 'a user such as "1000:1000"').optional(),
  /** GPU device nodes: ["renderD128"], or "all" of the host's /dev/dri. */
  gpus: layered(spec.gpus.unwrap(), 'a list of GPUs such as ["renderD128"] or ["nvidia.com/gpu=0"], or "all"').optional(),
  /** Guests started before this one: ["db"], or depends_on.db = { condition = "healthy" }. */
  depends_on: dependsOn.optional(),
  health: CapsuleHealthSchema.optional(),
  /** Overrides the project's [snapshots] keys for this capsule. */
  snapshots: SnapshotTableSchema.optional(),
};

export const CapsuleTableSchema = table(capsuleShape, 'a table of capsule settings, e.g. [container.NAME] with capsule = "ubuntu:22.04"');

export type CapsuleDocument = z.output<typeof CapsuleTableSchema>;
