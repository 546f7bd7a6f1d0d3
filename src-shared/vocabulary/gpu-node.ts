// A GPU for a capsule: a device node as `ls /dev/dri` shows it, "renderD128" (compute and
// rendering, what most programs need) or "card0" (also display control), or a CDI device
// as a vendor's toolkit names it, "nvidia.com/gpu=0" or "nvidia.com/gpu=all".
import { describeValue, fail, ok, type Parsed } from './parsed.js';

/** "renderD128", "/dev/dri/renderD128" or "card1", returned as the bare node name; a CDI name as it is. */
export function parseGpuNode(text: string): Parsed<string> {
  const name = text.trim().replace(/^\/dev\/dri\//, '');
  if (/^(renderD|card)[0-9]{1,3}$/.test(name)) return ok(name);
  if (/^[A-Za-z0-9][A-Za-z0-9.-]*\/[A-Za-z0-9][A-Za-z0-9_.-]*=[A-Za-z0-9][A-Za-z0-9_.:-]*$/.test(name) && name.length <= 128) return ok(name);
  return fail(`${describeValue(text)} is not a GPU; give a node /dev/dri shows, e.g. "renderD128" or "card0", a CDI device such as "nvidia.com/gpu=0" (or "all")`);
}
