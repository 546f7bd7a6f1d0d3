// A plan as `nova plan` prints it: changes grouped by class in the order they would be
// applied, each field as "old -> new", then clashes and blocked items; coloured on a
// terminal (green create, yellow update, magenta restart and replace, red delete), plain
// otherwise, and always with the class in words so colour is never the only sign. A
// project on several hosts names each step's host ("on closet", a move "local -> closet").
import { CHANGE_CLASS_LABELS, type ChangeClass, type ProjectPlan } from '../../../src-shared/project.js';

const ORDER: ChangeClass[] = ['create', 'update', 'restart', 'replace', 'move', 'delete'];
const MARK: Record<ChangeClass, string> = { create: '+', update: '~', restart: '~', replace: '-/+', move: '>', delete: '-' };
const COLOUR: Record<ChangeClass, string> = { create: '32', update: '33', restart: '35', replace: '35', move: '36', delete: '31' };

export function formatPlan(plan: ProjectPlan, colour: boolean): string {
  const paint = (code: string, s: string) => (colour ? `\x1b[${code}m${s}\x1b[0m` : s);
  const lines: string[] = [`Project ${plan.project} (${plan.file})${plan.hosts ? ` on hosts ${plan.hosts.join(', ')}` : ''}`];
  for (const cls of ORDER) {
    const changes = plan.changes.filter((c) => c.class === cls);
    if (changes.length === 0) continue;
    lines.push('', paint(`1;${COLOUR[cls]}`, `${CHANGE_CLASS_LABELS[cls]} (${changes.length}):`));
    for (const c of changes) {
      lines.push(`  ${paint(COLOUR[cls], `${MARK[cls]} ${c.kind} ${c.name}`)}${c.host === undefined ? '' : c.from === undefined ? ` on ${c.host}` : ` from ${c.from} to ${c.host}`}`);
      for (const f of c.fields) {
        if (c.class === 'move' && f.field === 'host') continue;
        const note = [f.class !== cls ? CHANGE_CLASS_LABELS[f.class] : '', f.drift ? 'changed outside the file' : ''].filter(Boolean).join(', ');
        lines.push(`      ${f.field}: ${f.old ?? '(none)'} -> ${f.new ?? '(none)'}${note ? `  (${note})` : ''}`);
      }
    }
  }
  if (plan.libraryImages && plan.libraryImages.length > 0) {
    lines.push('', 'images from the library:');
    for (const i of plan.libraryImages) lines.push(`  ${i.key} = "${i.name}": ${i.path}`);
  }
  if (plan.clashes.length > 0) {
    lines.push('', paint('1;31', `clashes (${plan.clashes.length}), left alone:`));
    for (const c of plan.clashes) lines.push(`  ! ${c.message}`);
  }
  if (plan.blocked.length > 0) {
    lines.push('', paint('1;31', `blocked (${plan.blocked.length}), this host lacks what they need:`));
    for (const b of plan.blocked) lines.push(`  ! ${b.kind} ${b.name} (${b.key}): ${b.reason}`, `      to fix: ${b.remedy}`);
  }
  lines.push('', summaryLine(plan));
  return lines.join('\n') + '\n';
}

function summaryLine(plan: ProjectPlan): string {
  const count = (cls: ChangeClass) => plan.changes.filter((c) => c.class === cls).length;
  if (plan.changes.length === 0 && plan.clashes.length === 0 && plan.blocked.length === 0) {
    return `No changes: the ${plan.unchanged.length} resource(s) of project ${plan.project} match the file.`;
  }
  const parts = ORDER.filter((cls) => count(cls) > 0).map((cls) => `${count(cls)} to ${cls === 'update' ? 'update in place' : cls === 'restart' ? 'update with restart' : cls}`);
  if (plan.clashes.length > 0) parts.push(`${plan.clashes.length} clash(es)`);
  if (plan.blocked.length > 0) parts.push(`${plan.blocked.length} blocked`);
  return `Plan: ${parts.join(', ')}; ${plan.unchanged.length} unchanged.`;
}
