// The one mapping from an error that reached the UI ({code, message, details}) to what a
// person reads: a title, the helper's sentence, and what to do next. Details refine the
// per-code advice: a path error names the path and the folders Nova may open, whatever
// its code, because "refresh the page" is wrong advice for a file that is not there.
// Only a path the helper opens itself at a VM start sends the user to an administrator's
// --allowed-root: an import (details.openedFor) opens the file with the user's own rights.
// No surface shows the code itself; it stays in the details for a bug report.
import type { ErrorShape } from '../../../src-shared/index.js';
import { adviceFor } from './error-advice.js';

export interface ErrorWords {
  readonly title: string;
  readonly sentence: string;
  readonly next: string;
  /** The form field the error concerns, when the details say ("path"). */
  readonly field?: 'path';
  readonly path?: string;
  readonly allowedFolders?: readonly string[];
}

function record(details: unknown): Record<string, unknown> {
  return typeof details === 'object' && details !== null ? (details as Record<string, unknown>) : {};
}

function strings(value: unknown): string[] | undefined {
  return Array.isArray(value) && value.every((v) => typeof v === 'string') ? (value as string[]) : undefined;
}

/** Where Nova may open files, said as a sentence. */
export function allowedFoldersSentence(folders: readonly string[]): string {
  return `Nova opens files only inside ${folders.length === 1 ? 'this folder' : 'these folders'}: ${folders.join(', ')}.`;
}

/** A sentence the way people write one: capitalised, ending in a full stop. */
function asSentence(text: string): string {
  const trimmed = text.trim();
  if (trimmed === '') return trimmed;
  const first = trimmed.charAt(0).toUpperCase() + trimmed.slice(1);
  return /[.!?]$/.test(first) ? first : `${first}.`;
}

export function errorWords(error: ErrorShape): ErrorWords {
  const advice = adviceFor(error.code);
  const details = record(error.details);
  const path = typeof details['path'] === 'string' ? details['path'] : undefined;
  const allowed = strings(details['allowedFolders']);
  const sentence = asSentence(error.message);
  if (path !== undefined && error.code !== 'locked' && error.code !== 'cancelled') {
    const where = allowed ? ` ${allowedFoldersSentence(allowed)}` : '';
    const title = error.code === 'not_found' ? 'File not found' : error.code === 'not_authorized' ? 'File not open to you' : 'Path not usable';
    const admin = details['openedFor'] === 'import' ? '' : ' An administrator adds a folder with the helper’s --allowed-root option.';
    const next =
      error.code === 'not_authorized'
        ? `Choose a file your user may read, or change its permissions.${where}`
        : `Check the path ${path} and choose a file that exists there.${where}${admin}`;
    return { title, sentence, next, field: 'path', path, ...(allowed ? { allowedFolders: allowed } : {}) };
  }
  // Web mode's own refusal (a view token asked for a change): polkit's advice would be wrong.
  if (error.code === 'not_authorized' && details['webScope'] === true) {
    return {
      title: 'Not allowed with this token',
      sentence,
      next: 'This browser’s token may only look. Ask whoever runs Nova on this host for a token with the manage scope ("nova token create --scope manage") and open Nova with it.',
    };
  }
  const registry = typeof details['registry'] === 'string' ? details['registry'] : undefined;
  if (registry !== undefined) return { title: REGISTRY_TITLES[error.code] ?? advice.title, sentence, next: registryNext(error.code, registry) };
  return { title: advice.title, sentence, next: advice.next };
}

// A registry's refusal or silence is about that registry, not about Nova's helper.
const REGISTRY_TITLES: Partial<Record<ErrorShape['code'], string>> = {
  unavailable: 'Registry not reachable',
  not_found: 'Image not in the registry',
  not_authorized: 'Registry refused access',
};

function registryNext(code: ErrorShape['code'], registry: string): string {
  if (code === 'unavailable') return `Check the address ${registry} and that the registry is running and reachable from this host, then try again.`;
  if (code === 'not_found') return `Check the image's name and tag on ${registry}.`;
  if (code === 'not_authorized') return `Log in to ${registry} as a user who may pull this image, or check its name.`;
  return adviceFor(code).next;
}
