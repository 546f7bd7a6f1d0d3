// The live log view: the newest lines of the chosen time range (`since`), then a
// follow loop that long-polls `capsule.logs` with the cursor (`afterSeq`, `waitMs`), so
// new lines arrive within a moment and an idle capsule costs one open call. Search
// filters what is on screen; the view sticks to the bottom unless the user scrolls up.
import { Pause, Play, Search } from 'lucide-react';
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { toErrorShape, type ErrorShape } from '../../../../src-shared/errors.js';
import { useServices } from '../../app/services.js';
import { ErrorPanel } from '../../components/ErrorPanel.js';
import { EMPTY_LOG, filterLogLines, LOG_RANGES, mergeLogPage, sinceForRange, type LogBuffer, type LogRange } from '../../lib/capsule-logs.js';

/** The first page's size: enough to see what happened, small enough to render at once. */
const FIRST_PAGE_LINES = 1000;
/** Each follow call waits this long for a line (below the contract's 20 s ceiling). */
const FOLLOW_WAIT_MS = 15_000;
const RETRY_MS = 3_000;

function timeOf(at: string): string {
  const d = new Date(at);
  return Number.isNaN(d.getTime()) ? at : d.toLocaleTimeString([], { hour12: false });
}

export function CapsuleLogs({ name }: { name: string }) {
  const { client } = useServices();
  const [range, setRange] = useState<LogRange>('1h');
  const [follow, setFollow] = useState(true);
  const [query, setQuery] = useState('');
  const [buffer, setBuffer] = useState<LogBuffer>(EMPTY_LOG);
  const [error, setError] = useState<ErrorShape | null>(null);
  // The follow starts from the first page's cursor: from -1 it would replay the whole log.
  const [ready, setReady] = useState(false);
  const [attempt, setAttempt] = useState(0);
  const bufferRef = useRef(buffer);
  bufferRef.current = buffer;
  const view = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);

  // A new range starts over from its first page.
  useEffect(() => {
    let cancelled = false;
    setBuffer(EMPTY_LOG);
    bufferRef.current = EMPTY_LOG;
    setReady(false);
    setError(null);
    const since = sinceForRange(range, Date.now());
    void client
      .call('capsule.logs', { name, tail: FIRST_PAGE_LINES, ...(since ? { since } : {}) })
      .then((page) => {
        if (cancelled) return;
        const next = mergeLogPage(EMPTY_LOG, page);
        bufferRef.current = next;
        setBuffer(next);
        setReady(true);
      })
      .catch((err: unknown) => !cancelled && setError(toErrorShape(err)));
    return () => {
      cancelled = true;
    };
  }, [client, name, range, attempt]);

  // Follow: one long-poll at a time from the cursor; a failure waits, then tries again.
  useEffect(() => {
    if (!follow || !ready) return;
    let cancelled = false;
    let retry: ReturnType<typeof setTimeout> | null = null;
    const loop = async (): Promise<void> => {
      while (!cancelled) {
        try {
          const page = await client.call('capsule.logs', { name, afterSeq: bufferRef.current.cursor, waitMs: FOLLOW_WAIT_MS });
          if (cancelled) return;
          const next = mergeLogPage(bufferRef.current, page);
          if (next !== bufferRef.current) {
            bufferRef.current = next;
            setBuffer(next);
          }
          setError(null);
        } catch (err) {
          if (cancelled) return;
          setError(toErrorShape(err));
          await new Promise<void>((resolve) => (retry = setTimeout(resolve, RETRY_MS)));
        }
      }
    };
    void loop();
    return () => {
      cancelled = true;
      if (retry) clearTimeout(retry);
    };
  }, [client, name, follow, ready]);

  const shown = useMemo(() => filterLogLines(buffer.lines, query), [buffer.lines, query]);

  useLayoutEffect(() => {
    const el = view.current;
    if (el && atBottom.current) el.scrollTop = el.scrollHeight;
  }, [shown]);

  return (
    <section className="capsule-logs" aria-label={`Logs of ${name}`}>
      <div className="capsule-logs__bar">
        <div className="vm-segmented" role="radiogroup" aria-label="Time range">
          {LOG_RANGES.map((r) => (
            <button key={r.id} type="button" role="radio" data-method="capsule.logs" aria-checked={range === r.id} className={`vm-segmented__item${range === r.id ? ' vm-segmented__item--on' : ''}`} onClick={() => setRange(r.id)}>
              {r.label}
            </button>
          ))}
        </div>
        <label className="capsule-logs__search">
          <Search aria-hidden="true" size={14} />
          <span className="visually-hidden">Search the logs</span>
          <input type="search" className="vm-input" placeholder="Search" value={query} onChange={(e) => setQuery(e.target.value)} />
        </label>
        <button type="button" className="button" data-method="capsule.logs" aria-pressed={follow} onClick={() => setFollow((f) => !f)}>
          {follow ? <Pause aria-hidden="true" size={13} /> : <Play aria-hidden="true" size={13} />}
          {follow ? 'Following' : 'Follow'}
        </button>
        <span className="muted capsule-logs__count" role="status">
          {query ? `${shown.length} of ${buffer.lines.length} lines` : `${buffer.lines.length} lines`}
          {buffer.dropped > 0 ? ` (${buffer.dropped} older not kept)` : ''}
        </span>
      </div>
      {error && <ErrorPanel context="Could not read the logs" error={error} {...(ready ? {} : { onRetry: () => setAttempt((n) => n + 1) })} />}
      <div
        className="capsule-logs__view"
        ref={view}
        role="log"
        aria-label="Log lines"
        tabIndex={0}
        onScroll={(e) => {
          const el = e.currentTarget;
          atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
        }}
      >
        {shown.length === 0 && <p className="muted capsule-logs__empty">{buffer.lines.length === 0 ? 'Nothing logged in this time range yet.' : 'No line matches the search.'}</p>}
        {shown.map((l) => (
          <div key={l.seq} className={`capsule-log capsule-log--${l.stream}`} data-seq={l.seq}>
            <time className="capsule-log__time" dateTime={l.at}>
              {timeOf(l.at)}
            </time>
            <span className="capsule-log__text">{l.text}</span>
          </div>
        ))}
      </div>
    </section>
  );
}
