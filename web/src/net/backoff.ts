// Reconnect delays: exponential growth from `baseMs`, capped at `capMs`, with jitter so
// that many clients dropped at once do not come back in lock-step.

export interface BackoffOptions {
  readonly baseMs: number;
  readonly capMs: number;
}

export const kDefaultBackoff: BackoffOptions = { baseMs: 250, capMs: 10_000 };

/**
 * Delay before reconnect attempt `attempt` (0 for the first retry). "Equal jitter":
 * uniformly in [ceiling / 2, ceiling], where ceiling = min(cap, base * 2^attempt).
 * `random` returns a number in [0, 1).
 */
export function backoffDelay(attempt: number, options: BackoffOptions, random: () => number): number {
  const exponent = Math.min(Math.max(0, Math.floor(attempt)), 30);
  const ceiling = Math.min(options.capMs, options.baseMs * 2 ** exponent);
  const half = ceiling / 2;
  return Math.round(half + half * random());
}
