import type { ScopegateLogger } from '@scopegate/nest/core';

const LEVELS = ['error', 'warn', 'info'] as const;

/** One line per message on stdout/stderr, with a timestamp; no stack traces, no request bodies. */
export function processLogger(level: string): ScopegateLogger {
  // debug and trace show everything the gateway logs (it has nothing below info).
  const rank = ['debug', 'trace'].includes(level)
    ? 2
    : Math.max(0, LEVELS.indexOf(level as (typeof LEVELS)[number]));
  const line = (kind: string, m: string) => `${new Date().toISOString()} ${kind} [gateway] ${m}`;
  return {
    log: (m) => rank >= 2 && console.log(line('INFO', m)),
    warn: (m) => rank >= 1 && console.warn(line('WARN', m)),
    error: (m) => console.error(line('ERROR', m)),
  };
}
