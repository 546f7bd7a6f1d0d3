// A check status as icon, colour and word together, so it reads without colour vision.
import { CircleCheck, CircleX, TriangleAlert } from 'lucide-react';
import type { CheckStatus } from '../../../src-shared/index.js';
import { STATUS_TEXT } from '../lib/host-report.js';

const ICONS = { ok: CircleCheck, warn: TriangleAlert, fail: CircleX } as const;

export function StatusBadge({ status }: { status: CheckStatus }) {
  const Icon = ICONS[status];
  return (
    <span className={`status-badge status-badge--${status}`} data-status={status}>
      <Icon aria-hidden="true" size={14} strokeWidth={2.25} />
      {STATUS_TEXT[status]}
    </span>
  );
}
