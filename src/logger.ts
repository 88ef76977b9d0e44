// The process's logger: JSON lines on stdout, level from OUTPOST_LOG_LEVEL (default info).
import { pino, type Logger } from 'pino';

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function createLogger(level: string = process.env.OUTPOST_LOG_LEVEL ?? 'info'): Logger {
  // pino's own error for a bad level names neither the variable nor the choices.
  if (!LEVELS.includes(level)) throw new Error(`invalid OUTPOST_LOG_LEVEL ${JSON.stringify(level)}: expected one of ${LEVELS.join(', ')}`);
  return pino({ level, base: { name: 'outpost' }, timestamp: pino.stdTimeFunctions.isoTime });
}
