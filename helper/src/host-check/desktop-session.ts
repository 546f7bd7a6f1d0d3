// The graphical session of whoever asked: Wayland, X11 or none. Read from the caller's
// /proc/PID/environ (the helper is a daemon with no session of its own), quoting only
// the three variables that tell, never the rest of the caller's environment.
import type { HostCheckItem } from '../../../src-shared/host.js';
import { checkItem } from './check-item.js';
import { parseEnviron, readHostFile } from './host-fs.js';
import type { HostProbeEnv } from './host-probe-env.js';

export type SessionType = 'wayland' | 'x11' | 'none';

const SESSION_VARS = ['XDG_SESSION_TYPE', 'WAYLAND_DISPLAY', 'DISPLAY'] as const;

export function detectSession(vars: ReadonlyMap<string, string>): SessionType {
  const declared = vars.get('XDG_SESSION_TYPE')?.toLowerCase();
  // XDG_SESSION_TYPE is set by the login manager and wins; a display variable alone
  // (an ssh -X shell, a nested compositor) is the fallback.
  if (declared === 'wayland') return 'wayland';
  if (declared === 'x11') return 'x11';
  if (vars.get('WAYLAND_DISPLAY')) return 'wayland';
  if (vars.get('DISPLAY')) return 'x11';
  return 'none';
}

export async function checkDesktopSession(env: HostProbeEnv, callerPid?: number): Promise<HostCheckItem> {
  const label = 'Desktop session';
  const validPid = callerPid !== undefined && Number.isInteger(callerPid) && callerPid > 0;
  const who = validPid ? `caller (pid ${callerPid})` : 'helper';
  const source = validPid ? `/proc/${callerPid}/environ` : '/proc/self/environ';
  const raw = await readHostFile(env, source);
  if (raw === null) {
    return checkItem('session', 'desktop', label, {
      status: 'warn',
      summary: `Unknown: the ${who}'s environment could not be read`,
      evidence: [`${source}: unreadable (process gone, or no permission)`],
      remedy: 'Run the check again from the desktop session that will show the consoles',
    });
  }
  const vars = parseEnviron(raw);
  const type = detectSession(vars);
  const evidence = [
    `${source}: ${SESSION_VARS.map((k) => `${k}=${vars.get(k) ?? '(unset)'}`).join(' ')}`,
  ];
  if (type === 'wayland' && vars.get('DISPLAY')) evidence.push('XWayland available (DISPLAY is set)');
  if (type === 'none') {
    return checkItem('session', 'desktop', label, {
      status: 'warn',
      summary: `None: the ${who} has no Wayland or X11 session`,
      evidence,
      remedy: 'Graphical consoles need a desktop session; from a headless shell use the web mode or a SPICE/VNC client elsewhere',
    });
  }
  return checkItem('session', 'desktop', label, {
    status: 'ok',
    summary: `${type === 'wayland' ? 'Wayland' : 'X11'} (${who})`,
    evidence,
  });
}
