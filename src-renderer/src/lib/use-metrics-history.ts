// A VM's or a capsule's metrics history for one range, from the helper's store. For a VM,
// each `vm.metricsSampled` of it is a signal to refetch: every time for the last minute,
// at most every 10 s for the hour, every minute for the day, every 10 min beyond; capsules
// have no 1 Hz event, so theirs (and the host's) is refetched on a timer at the same pace
// (2 s at least).
import { useEffect, useState } from 'react';
import { toErrorShape, type ErrorShape } from '../../../src-shared/errors.js';
import { noSuchGuestMessage } from '../../../src-shared/metrics-csv.js';
import type { MetricsHistory, MetricsRange } from '../../../src-shared/api/metrics-api.js';
import { useServices } from '../app/services.js';

const REFETCH_EVERY_MS: Record<MetricsRange, number> = { '1m': 0, '1h': 10_000, '1d': 60_000, '7d': 600_000, '30d': 600_000 };

const CAPSULE_MIN_REFETCH_MS = 2_000;

/** `minIntervalMs`: refetch no more often than this (the dashboard's many small graphs). */
export function useMetricsHistory(name: string, range: MetricsRange, kind: 'vm' | 'capsule' | 'host' = 'vm', minIntervalMs = 0): { history: MetricsHistory | null; error: ErrorShape | null } {
  const { client } = useServices();
  const [history, setHistory] = useState<MetricsHistory | null>(null);
  const [error, setError] = useState<ErrorShape | null>(null);

  useEffect(() => {
    let stale = false;
    let inFlight = false;
    let last = 0;
    const fetchNow = () => {
      if (inFlight) return;
      inFlight = true;
      last = Date.now();
      const request = kind === 'host' ? client.call('host.metricsHistory', { range }) : client.call(kind === 'vm' ? 'vm.metricsHistory' : 'capsule.metricsHistory', { name, range });
      request.then(
        (h) => {
          inFlight = false;
          if (stale) return;
          setHistory(h);
          setError(null);
        },
        (err: unknown) => {
          inFlight = false;
          if (stale) return;
          const shape = toErrorShape(err);
          // The same words as `nova stats NAME` for a guest that is not there.
          setError(shape.code === 'not_found' && kind !== 'host' ? { ...shape, message: noSuchGuestMessage(name) } : shape);
        },
      );
    };
    setHistory(null);
    fetchNow();
    let off: () => void;
    if (kind === 'vm') {
      off = client.on('vm.metricsSampled', (m) => {
        if (m.name === name && Date.now() - last >= Math.max(REFETCH_EVERY_MS[range], minIntervalMs)) fetchNow();
      });
    } else {
      const timer = setInterval(fetchNow, Math.max(CAPSULE_MIN_REFETCH_MS, REFETCH_EVERY_MS[range], minIntervalMs));
      off = () => clearInterval(timer);
    }
    return () => {
      stale = true;
      off();
    };
  }, [client, name, range, kind, minIntervalMs]);

  return { history, error };
}
