// Structured logs for the helper: JSON lines on stderr (journald keeps them when run
// as a unit), one child logger per component.
import pino, { type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string = process.env.NOVA_LOG_LEVEL ?? 'info'): Logger {
  return pino({ level, base: { svc: 'nova-helper', pid: process.pid } }, pino.destination(2));
}

export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
