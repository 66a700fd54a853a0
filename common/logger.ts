import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * JSON lines on stderr: constant messages, facts in fields. stdout stays free
 * for what a command prints for people or scripts.
 */
export function createLogger(component: string, level: string = process.env.FLEET_LOG_LEVEL ?? 'info'): Logger {
  return pino(
    {
      level,
      base: { component, pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      // Bearer tokens, join tokens and secrets never reach a log line.
      redact: { paths: ['token', '*.token', 'joinToken', 'secret', 'authorization'], censor: '[redacted]' },
    },
    pino.destination({ fd: 2, sync: false }),
  );
}
