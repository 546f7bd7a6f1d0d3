// A GPU's device node for a capsule, as `ls /dev/dri` shows it: "renderD128" (compute and
// rendering, what most programs need) or "card0" (also display control).
import { describeValue, fail, ok, type Parsed } from './parsed.js';

/** "renderD128", "/dev/dri/renderD128" or "card1", returned as the bare node name. */
export function parseGpuNode(text: string): Parsed<string> {
  const name = text.trim().replace(/^\/dev\/dri\//, '');
  if (/^(renderD|card)[0-9]{1,3}$/.test(name)) return ok(name);
  return fail(`${describeValue(text)} is not a GPU device node; give one /dev/dri shows, e.g. "renderD128" or "card0" (or "all")`);
}
