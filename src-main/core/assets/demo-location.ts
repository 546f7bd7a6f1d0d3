// Where the demo project is: $NOVA_DEMO_FILE (tests point it at a prefixed copy), else
// examples/hello beside the built app (out/cli and out/main are both two folders below
// the checkout), else where the package installs it.
import { stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const INSTALLED = '/usr/share/nova/examples/hello/NovaFile.toml';

export async function demoNovaFile(env: NodeJS.ProcessEnv = process.env, here: string = import.meta.url): Promise<string | null> {
  const candidates = env.NOVA_DEMO_FILE ? [env.NOVA_DEMO_FILE] : [fileURLToPath(new URL('../../examples/hello/NovaFile.toml', here)), INSTALLED];
  for (const file of candidates) {
    if (await stat(file).then((s) => s.isFile(), () => false)) return file;
  }
  return null;
}
