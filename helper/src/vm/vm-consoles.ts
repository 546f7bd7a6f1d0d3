// Where a VM's consoles are: serial socket and log, VNC (its websocket port and
// password) and SPICE. Asked by a user, a root QEMU's consoles are handed to that user
// (display-socket-access.ts), so their viewer can open them.
import type { VmConsoleInfo, VmDefinition } from '../../../src-shared/vm.js';
import type { Logger } from '../util/logger.js';
import { grantConsoleAccess } from './display-socket-access.js';
import type { Credentials } from './run-as-user.js';
import type { VmLayout } from './vm-layout.js';
import type { RuntimeRecord } from './vm-store.js';

/** `record` is the running VM's, null when it is not running. */
export async function consoleInfoOf(layout: VmLayout, def: VmDefinition, record: RuntimeRecord | null, caller: Credentials | undefined, logger: Logger): Promise<VmConsoleInfo> {
  const name = def.name;
  const paths = layout.runtimePaths(name);
  const rec = record;
  const out: VmConsoleInfo = {
    serialSocket: paths.serialSocket,
    serialLog: paths.serialLog,
    vnc:
      rec?.vncSocket && rec.vncPassword && rec.vncWebsocketPort
        ? { socket: rec.vncSocket, websocketUrl: `ws://127.0.0.1:${rec.vncWebsocketPort}`, password: rec.vncPassword }
        : null,
    spice: rec?.spiceSocket && def.display.spice ? { socket: rec.spiceSocket, uri: `spice+unix://${rec.spiceSocket}` } : null,
  };
  if (rec && caller) {
    // main's console proxy reaches VNC through its unix socket too, not the websocket port.
    const consoles = [rec.spiceSocket, rec.vncSocket, rec.serialSocket].filter((s): s is string => s !== null);
    try {
      const grant = await grantConsoleAccess({ runDir: layout.vmRunDir(name), consoles, rootOnly: [rec.qmpSocket], serialLog: rec.serialLog }, caller);
      out.serialLog = grant.serialLog;
      if (grant.outcome === 'granted') {
        logger.info({ vm: name, uid: caller.uid, consoles, serialLog: grant.serialLog }, 'consoles handed to the caller');
        if (grant.problem) logger.warn({ vm: name, uid: caller.uid, problem: grant.problem }, 'the caller may still not reach its consoles');
      }
    } catch (err) {
      // The files may vanish with a stopping VM; the caller then reports what it finds.
      logger.warn({ vm: name, err, consoles }, 'cannot hand the consoles to the caller');
    }
  }
  return out;
}
