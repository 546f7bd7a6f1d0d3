// What a person should do about each error code, so every failure on screen says
// what failed, why, and what next. Keyed by the contract's closed set of codes, so a
// new code fails the type-check here until someone writes its advice.
import type { ErrorCode } from '../../../src-shared/index.js';

export interface ErrorAdvice {
  readonly title: string;
  readonly next: string;
}

const ADVICE: Record<ErrorCode, ErrorAdvice> = {
  not_authorized: {
    title: 'Not authorized',
    next:
      'Nova’s helper asks polkit before every privileged action, and polkit refused (the message says which ' +
      'action). Seeing VMs, capsules and networks is allowed from your active local desktop session; changing ' +
      'them needs an administrator’s password or membership in the nova group (an administrator runs ' +
      '“usermod -aG nova USER”, then you log out and in). Passing a host device to a VM asks for the password every time.',
  },
  unavailable: {
    title: 'Helper unavailable',
    next:
      'Nova cannot reach its privileged helper (or a tool the helper needs). Start the helper, or restart ' +
      'Nova so it starts it for you; this page tries again by itself as soon as the helper is back.',
  },
  timeout: {
    title: 'Timed out',
    next:
      'The helper did not answer in time. A probe may be stuck on a slow device or tool; try again, and if ' +
      'it keeps happening, look at the helper’s log for the step that hangs.',
  },
  cancelled: { title: 'Cancelled', next: 'The operation was cancelled before it finished. Start it again when ready.' },
  invalid_argument: {
    title: 'Invalid value',
    next: 'The helper refused a value; the message says which one and why. Correct it and try again.',
  },
  unknown_method: {
    title: 'Not supported by this helper',
    next: 'The helper does not know this operation: it is probably an older version. Update or restart the helper.',
  },
  protocol: {
    title: 'Garbled answer',
    next: 'A message between the parts of Nova was malformed. Make sure the UI and the helper are the same version; if they are, please report this.',
  },
  frame_too_large: {
    title: 'Message too large',
    next: 'A message exceeded the helper’s size limit. Please report this with the details below.',
  },
  not_found: { title: 'Not found', next: 'The resource no longer exists; refresh the page to see the current state.' },
  already_exists: { title: 'Already exists', next: 'Choose another name, or use the existing resource.' },
  failed_precondition: {
    title: 'Not possible right now',
    next: 'The resource is in the wrong state for this operation; wait for the current operation to finish and try again.',
  },
  locked: {
    title: 'Busy',
    next: 'Another operation is working on this resource (the message names it). Wait for it to finish, or cancel it from the activity panel, then try again.',
  },
  unsupported: {
    title: 'Not supported on this host',
    next: 'This host cannot provide what was asked. The Host page lists what is missing and how to fix it.',
  },
  internal: {
    title: 'Internal error',
    next: 'Something failed inside Nova. Try again; if it repeats, please report it with the details below.',
  },
};

export function adviceFor(code: ErrorCode): ErrorAdvice {
  return ADVICE[code];
}
