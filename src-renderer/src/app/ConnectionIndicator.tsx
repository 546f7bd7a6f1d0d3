// Two links, each by colour and words: this UI to Nova (the transport), and Nova to
// its privileged helper. Announced politely to screen readers when they change.
import { useStore } from 'zustand';
import type { ConnectionState } from '../stores/connection-store.js';
import { useNow } from '../lib/use-now.js';
import { useServices } from './services.js';

type Tone = 'ok' | 'pending' | 'fail';

interface Line {
  readonly tone: Tone;
  readonly text: string;
  readonly detail?: string;
}

function transportLine(state: ConnectionState['transport'], now: number, web: boolean): Line {
  switch (state.status) {
    case 'connected':
      return { tone: 'ok', text: 'Connected to Nova' };
    case 'connecting':
      return { tone: 'pending', text: 'Connecting to Nova…' };
    case 'closed':
      return { tone: 'fail', text: 'Disconnected from Nova' };
    case 'reconnecting': {
      const secs = state.nextRetryAt === null ? 0 : Math.ceil((state.nextRetryAt - now) / 1000);
      const hint =
        web && state.attempt >= 3
          ? ' If you opened this page without its token, open the address “nova web” printed.'
          : '';
      return {
        tone: 'fail',
        text: secs > 0 ? `Nova unreachable: retrying in ${secs} s…` : 'Nova unreachable: reconnecting…',
        detail: `${state.lastError ?? 'The connection dropped.'}${hint}`,
      };
    }
  }
}

function helperLine(state: ConnectionState): Line {
  if (state.transport.status !== 'connected') return { tone: 'pending', text: 'Helper status unknown' };
  if (state.helper.connected === null) return { tone: 'pending', text: 'Checking the helper…' };
  if (state.helper.connected) return { tone: 'ok', text: 'Helper connected' };
  return { tone: 'fail', text: 'Helper not running: reconnecting…', detail: state.helper.reason ?? undefined };
}

export function ConnectionIndicator() {
  const { connection, client } = useServices();
  const state = useStore(connection, (s) => s);
  const now = useNow(1000, state.transport.status === 'reconnecting');
  const lines = [transportLine(state.transport, now, client.transportKind === 'web'), helperLine(state)];
  return (
    <div className="connection" role="status" aria-label="Connection" data-method="app.info">
      {lines.map((line, i) => (
        <div
          key={i === 0 ? 'transport' : 'helper'}
          className={`connection__line connection__line--${line.tone}`}
          title={line.detail ? `${line.text} ${line.detail}` : line.text}
        >
          <span className="connection__dot" aria-hidden="true" />
          <span className="connection__text">
            {line.text}
            {line.detail && <span className="connection__detail">{line.detail}</span>}
          </span>
        </div>
      ))}
    </div>
  );
}
