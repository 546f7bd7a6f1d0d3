// One xterm.js terminal set up the way every console in Nova wants it: colours from the
// theme's CSS variables (and again whenever the system switches light/dark, since xterm
// paints on a canvas that CSS cannot restyle), fitted to its box as the box resizes.
import { FitAddon } from '@xterm/addon-fit';
import { Terminal, type ITerminalOptions } from '@xterm/xterm';
import '@xterm/xterm/css/xterm.css';
import { installConstructableStyles } from './constructable-styles.js';

function themeFromCss(el: HTMLElement): NonNullable<ITerminalOptions['theme']> {
  const css = getComputedStyle(el);
  const v = (name: string) => css.getPropertyValue(name).trim();
  return { background: v('--surface-sunken'), foreground: v('--text'), cursor: v('--accent'), selectionBackground: v('--sidebar-active') };
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
