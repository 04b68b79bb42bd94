import { describe, expect, it } from 'vitest';
import { holeBadge } from '../src/charts/hole_badge';
import type { OpenHole } from '../src/net/channel_sync';

const hole = (stream: string, from: number, to: number, failed = false, symbol = 'ALFA'): OpenHole => ({
  symbol,
  stream,
  from,
  to,
  attempts: 1,
  failed,
});

describe('holeBadge', () => {
  it('says nothing without a hole on the chart channels', () => {
    expect(holeBadge([], 'ALFA', '1m')).toBeNull();
    expect(holeBadge([hole('candles:1s', 1, 5), hole('spikes', 1, 2, false, 'BETA')], 'ALFA', '1m')).toBeNull();
  });

  it('counts the missing seqs of the candles, spikes and reversals of its symbol', () => {
    const badge = holeBadge([hole('candles:1m', 4, 6), hole('candles:1m', 9, 9), hole('reversals', 3, 3)], 'ALFA', '1m');
    expect(badge).toEqual({ missing: 5, failed: false, text: 'Filling 4 candles, 1 reversals missing…' });
  });

  it('stays, and says so, once a hole was given up', () => {
    const badge = holeBadge([hole('spikes', 10, 11, true)], 'ALFA', '1s');
    expect(badge?.failed).toBe(true);
    expect(badge?.text).toMatch(/^Missing 2 spike events/);
  });
});
