// When a network change takes effect, said in words and colour: "Takes effect now" or
// "Needs the guests to reconnect" (network-settings-form.ts has which field is which).
import type { ChangeEffect } from '../../../../src-shared/network.js';
import { effectText } from '../../lib/network-settings-form.js';

export function EffectNote({ effect }: { effect: ChangeEffect }) {
  return <span className={`effect-note effect-note--${effect}`}>{effectText(effect)}</span>;
}
