// wtype's arguments for keys that a browser must see as the physical keys a keyboard has.
// wtype uploads its own keymap and numbers its keys 1, 2, 3... in order of first use;
// Chromium takes a key's DOM `code` from that number as a Linux key code, and noVNC sends
// the scancode of that `code` to QEMU. So "Super_L" typed first would arrive in the guest
// as Escape (code 1). Releasing filler keysyms first puts each wanted key at its real
// number (Super_L at 125 = KEY_LEFTMETA); a release of a key never pressed reaches no page.

/** Linux input key codes (linux/input-event-codes.h) of the keys the specs type. */
export const KEY = {
  Tab: 15,
  Return: 28,
  Alt_L: 56,
  Super_L: 125,
} as const;
export type KeyName = keyof typeof KEY;

/** One wtype step: press or release a named key, or set/clear a modifier the compositor sees. */
export type KeyStep = { press: KeyName } | { release: KeyName } | { modOn: 'alt' | 'logo' } | { modOff: 'alt' | 'logo' };

/** A keysym no test types, for key number `n` (Cyrillic and beyond: Unicode keysyms "U0401"...). */
function filler(n: number): string {
  return `U${(0x400 + n).toString(16).toUpperCase().padStart(4, '0')}`;
}

/** The full wtype argv (without "wtype") for `steps`, with every named key at its real code. */
export function wtypeArgs(steps: KeyStep[]): string[] {
  const wanted = new Map<number, KeyName>();
  for (const step of steps) {
    const name = 'press' in step ? step.press : 'release' in step ? step.release : null;
    if (name) wanted.set(KEY[name], name);
  }
  const highest = Math.max(0, ...wanted.keys());
  const args: string[] = [];
  // Key numbers are given in order of first mention: mention 1..highest in order.
  for (let n = 1; n <= highest; n++) args.push('-p', wanted.get(n) ?? filler(n));
  for (const step of steps) {
    if ('press' in step) args.push('-P', step.press);
    else if ('release' in step) args.push('-p', step.release);
    else if ('modOn' in step) args.push('-M', step.modOn);
    else args.push('-m', step.modOff);
  }
  return args;
}

/** Super pressed and released alone, as a user reaching for the desktop's launcher. */
export const SUPER: KeyStep[] = [{ press: 'Super_L' }, { release: 'Super_L' }];

/**
 * Alt+Tab as a keyboard sends it: Alt down (the compositor's modifier state follows, since
 * wtype's keymap maps no modifiers), Tab down and up, Alt up.
 */
export const ALT_TAB: KeyStep[] = [{ modOn: 'alt' }, { press: 'Alt_L' }, { press: 'Tab' }, { release: 'Tab' }, { release: 'Alt_L' }, { modOff: 'alt' }];

export const RETURN: KeyStep[] = [{ press: 'Return' }, { release: 'Return' }];
