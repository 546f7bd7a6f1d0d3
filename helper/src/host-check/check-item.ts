// Building host check items: one place that fills the contract's fields, so every
// probe reads the same and the statuses stay a closed set.
import type { CheckStatus, HostCheckGroup, HostCheckItem } from '../../../src-shared/host.js';

export interface ItemFields {
  status: CheckStatus;
  summary: string;
  evidence: string[];
  remedy?: string | null;
}

export function checkItem(id: string, group: HostCheckGroup, label: string, fields: ItemFields): HostCheckItem {
  return {
    id,
    group,
    label,
    status: fields.status,
    summary: fields.summary,
    evidence: fields.evidence,
    // A remedy on a passing item would only be noise.
    remedy: fields.status === 'ok' ? null : (fields.remedy ?? null),
  };
}
