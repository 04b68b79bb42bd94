import { describe, expect, it } from 'vitest';
import { backoffDelay, kDefaultBackoff } from '../src/net/backoff';

describe('backoffDelay', () => {
  const options = { baseMs: 250, capMs: 10_000 };

  it('doubles the ceiling per attempt, jittered into its upper half', () => {
    expect(backoffDelay(0, options, () => 0)).toBe(125);
    expect(backoffDelay(0, options, () => 0.999999)).toBe(250);
    expect(backoffDelay(1, options, () => 0)).toBe(250);
    expect(backoffDelay(3, options, () => 0.5)).toBe(1500); // ceiling 2000
  });

  it('never exceeds the cap, however many attempts', () => {
    for (const attempt of [6, 10, 50, 1_000, Number.MAX_SAFE_INTEGER]) {
      expect(backoffDelay(attempt, options, () => 0.999999)).toBeLessThanOrEqual(10_000);
      expect(backoffDelay(attempt, options, () => 0)).toBe(5_000);
    }
  });

  it('spreads clients out: different random draws give different delays', () => {
    const delays = new Set([0.1, 0.3, 0.5, 0.7, 0.9].map((r) => backoffDelay(4, options, () => r)));
    expect(delays.size).toBe(5);
  });

  it('defaults to a cap of about ten seconds', () => {
    expect(kDefaultBackoff.capMs).toBe(10_000);
  });
});
