// One xterm.js terminal set up the way every console in Nova wants it: colours from the
// theme's CSS variables (and again whenever the system switches light/dark, since xterm
// paints on a canvas that CSS cannot restyle), fitted to its box as the box resizes.
// A terminal takes every key, Tab included, so one key chord gives the keyboard back
// (LEAVE_TERMINAL_KEYS, shown beside each terminal), as browser terminals do.
import { FitAddon } from '@xterm/addon-fit';
import { Terminal, type ITerminalOptions } from '@xterm/xterm';
import '@xterm/xterm/css/xterm.css';
import { installConstructableStyles } from './constructable-styles.js';

function themeFromCss(el: HTMLElement): NonNullable<ITerminalOptions['theme']> {
  const css = getComputedStyle(el);
  const v = (name: string) => css.getPropertyValue(name).trim();
  return { background: v('--surface-sunken'), foreground: v('--text'), cursor: v('--accent'), selectionBackground: v('--sidebar-active') };
}

/** The chord that moves focus out of a terminal; said in words beside it. */
export const LEAVE_TERMINAL_KEYS = 'Ctrl+Shift+Escape';
export const LEAVE_TERMINAL_HINT = `${LEAVE_TERMINAL_KEYS} moves the keyboard out of the terminal`;

const FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

/** The next control after the terminal, else the nearest one before it (the section's tabs). */
export function focusOutOf(el: HTMLElement): void {
  const all = [...document.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((c) => !el.contains(c));
  const after = all.find((c) => el.compareDocumentPosition(c) & Node.DOCUMENT_POSITION_FOLLOWING);
  const before = all.filter((c) => el.compareDocumentPosition(c) & Node.DOCUMENT_POSITION_PRECEDING).pop();
  (after ?? before)?.focus();
}

export interface XtermView {
  term: Terminal;
  dispose(): void;
}

export function openXtermView(el: HTMLElement, options: ITerminalOptions = {}): XtermView {
  installConstructableStyles(document);
  const term = new Terminal({ cursorBlink: true, fontSize: 13, scrollback: 5000, ...options, theme: themeFromCss(el), fontFamily: getComputedStyle(el).getPropertyValue('--font-mono') });
  const fit = new FitAddon();
  term.loadAddon(fit);
  term.open(el);
  term.attachCustomKeyEventHandler((ev) => {
    if (ev.key !== 'Escape' || !ev.ctrlKey || !ev.shiftKey) return true;
    if (ev.type === 'keydown') focusOutOf(el);
    return false;
  });
  fit.fit();
  const resize = new ResizeObserver(() => fit.fit());
  resize.observe(el);
  const scheme = window.matchMedia('(prefers-color-scheme: dark)');
  const retheme = () => (term.options.theme = themeFromCss(el));
  scheme.addEventListener('change', retheme);
  return {
    term,
    dispose() {
      scheme.removeEventListener('change', retheme);
      resize.disconnect();
      term.dispose();
    },
  };
}
