import { describe, expect, it } from 'vitest';
import { kMaxMarkers, reversalLabel, reversalMarker, reversalMarkers, reversalsAt, spikeMarkers } from '../src/charts/markers';
import { barStartOf, bucketOfMs, bucketStart, foldToBuckets } from '../src/charts/time_series';
import type { ReversalEvent, SpikeStartEvent } from '../src/net/protocol';

const colours = {
  versions: [1, 2, 3, 4].map((v) => ({ buy: `BUY-V${v}`, sell: `SELL-V${v}` })),
  spike: 'SPIKE-COLOUR',
};

// 2026-01-02 14:30:00 UTC, a whole minute.
const t0 = 1767364200;

function reversal(tMs: number, direction: 1 | -1, version = 1, seq = tMs): ReversalEvent {
  return {
    type: 'reversal',
    symbol: 'ALFA',
    stream: 'reversals',
    seq,
    tick_seq: seq,
    t_ms: tMs,
    version,
    direction,
    price: 101.25,
    reason: 'climax_fade',
    strength: 6,
  };
}

function spike(tMs: number, seq = tMs): SpikeStartEvent {
  return { type: 'spike_start', symbol: 'ALFA', stream: 'spikes', seq, tick_seq: seq, t_ms: tMs, intensity: 9100, z: 3.4, price: 101.25 };
}

describe('reversalMarker', () => {
  it('draws a v1 BUY as an up arrow below the bar in v1 buy colour', () => {
    expect(reversalMarker(reversal(t0 * 1000 + 1_500, 1, 1), 1, colours)).toEqual({
      time: t0 + 1,
      position: 'belowBar',
      shape: 'arrowUp',
      color: 'BUY-V1',
      text: 'v1',
    });
  });

  it('draws a v4 SELL as a large down arrow above the bar in v4 sell colour', () => {
    expect(reversalMarker(reversal(t0 * 1000 + 1_500, -1, 4), 1, colours)).toEqual({
      time: t0 + 1,
      position: 'aboveBar',
      shape: 'arrowDown',
      color: 'SELL-V4',
      text: 'v4',
      size: 1.6,
    });
  });

  it('gives every version and direction its own shape or colour', () => {
    const looks = new Set<string>();
    for (const version of [1, 2, 3, 4]) {
      for (const direction of [1, -1] as const) {
        const m = reversalMarker(reversal(t0 * 1000, direction, version), 1, colours);
        expect(m.position).toBe(direction > 0 ? 'belowBar' : 'aboveBar');
        looks.add(`${m.shape}:${m.color}:${m.size ?? 1}`);
      }
    }
    expect(looks.size).toBe(8);
    expect(reversalMarker(reversal(t0 * 1000, 1, 2), 1, colours).shape).toBe('circle');
    expect(reversalMarker(reversal(t0 * 1000, -1, 3), 1, colours).shape).toBe('square');
  });

  it.each([
    [1, t0 + 59],
    [10, t0 + 50],
    [60, t0],
    [300, t0], // 14:30 is a 5-minute boundary
    [3_600, t0 - 1_800], // the 14:00 hour
  ])('puts an event at 14:30:59.999 on the %i s candle starting at %i', (tf, expected) => {
    expect(reversalMarker(reversal(t0 * 1000 + 59_999, 1), tf, colours).time).toBe(expected);
  });
});

describe('reversalMarkers', () => {
  it('sorts by time and leaves out events before the first bar', () => {
    const events = [reversal((t0 - 5) * 1000, 1), reversal((t0 + 3) * 1000, -1), reversal((t0 + 1) * 1000, 1)];
    const markers = reversalMarkers(events, 1, t0, colours);
    expect(markers.map((m) => [m.time, m.shape])).toEqual([
      [t0 + 1, 'arrowUp'],
      [t0 + 3, 'arrowDown'],
    ]);
  });

  it('has no markers without bars', () => {
    expect(reversalMarkers([reversal(t0 * 1000, 1)], 1, null, colours)).toEqual([]);
  });

  it('merges the events of one bar, version and direction; sorts a bar by version', () => {
    const events = [
      reversal(t0 * 1000 + 1_000, 1, 2),
      reversal(t0 * 1000 + 20_000, -1, 1),
      reversal(t0 * 1000 + 30_000, 1, 1),
      reversal(t0 * 1000 + 40_000, 1, 2),
    ];
    const markers = reversalMarkers(events, 60, t0, colours);
    expect(markers.map((m) => [m.time, m.position, m.text])).toEqual([
      [t0, 'aboveBar', 'v1'],
      [t0, 'belowBar', 'v1'],
      [t0, 'belowBar', 'v2'],
    ]);
    // On 1 s candles the same events are four markers.
    expect(reversalMarkers(events, 1, t0, colours)).toHaveLength(4);
  });

  it('keeps at most `max` markers, the newest', () => {
    const events = Array.from({ length: kMaxMarkers + 200 }, (_, i) => reversal((t0 + i) * 1000, i % 2 === 0 ? 1 : -1));
    const markers = reversalMarkers(events, 1, t0, colours);
    expect(markers).toHaveLength(kMaxMarkers);
    expect(markers[0]?.time).toBe(t0 + 200);
    expect(markers.at(-1)?.time).toBe(t0 + kMaxMarkers + 199);
    expect(reversalMarkers(events, 1, t0, colours, 10)).toHaveLength(10);
  });
});

describe('spikeMarkers', () => {
  it('draws one small circle above the line per bucket, from the first point on', () => {
    const events = [spike((t0 - 1) * 1000), spike(t0 * 1000 + 100), spike(t0 * 1000 + 900), spike((t0 + 12) * 1000)];
    expect(spikeMarkers(events, 1, t0, colours)).toEqual([
      { time: t0, position: 'aboveBar', shape: 'circle', color: 'SPIKE-COLOUR', size: 0.6 },
      { time: t0 + 12, position: 'aboveBar', shape: 'circle', color: 'SPIKE-COLOUR', size: 0.6 },
    ]);
    expect(spikeMarkers(events, 10, t0, colours).map((m) => m.time)).toEqual([t0, t0 + 10]);
    expect(spikeMarkers(events, 1, null, colours)).toEqual([]);
  });
});

describe('reversal versions and tooltip', () => {
  it('draws only the versions switched on', () => {
    const events = [reversal(t0 * 1000, 1, 1), reversal(t0 * 1000 + 10, 1, 2), reversal((t0 + 1) * 1000, -1, 3)];
    const markers = reversalMarkers(events, 1, t0, colours, 300, new Set([2, 3]));
    expect(markers.map((m) => m.text)).toEqual(['v2', 'v3']);
    expect(reversalMarkers(events, 1, t0, colours, 300, new Set())).toEqual([]);
  });

  it('lists the reversals of a bar with reason and strength', () => {
    const events = [reversal(t0 * 1000, 1, 1), reversal(t0 * 1000 + 500, -1, 4), reversal((t0 + 1) * 1000, -1, 3)];
    expect(reversalsAt(events, 1, t0).map(reversalLabel)).toEqual([
      'v1 BUY 101.25 · climax_fade · strength 6',
      'v4 SELL 101.25 · climax_fade · strength 6',
    ]);
    expect(reversalsAt(events, 1, t0, new Set([4]))).toHaveLength(1);
  });
});

describe('bars of a session symbol (1h and 1d bars start at the session open, not on the epoch grid)', () => {
  // A 09:30 UTC open: 1h bars at 09:30, 10:30, 11:30 of 2026-01-02; 1d bars at the opens of two days.
  const open = Date.UTC(2026, 0, 2, 9, 30) / 1000;
  const hourBars = [0, 1, 2].map((i) => ({ t: open + i * 3600 }));
  const dayBars = [{ t: open }, { t: open + 86_400 }];
  const hourGrid = (t: number): number => barStartOf(hourBars, t, 3600);
  const dayGrid = (t: number): number => barStartOf(dayBars, t, 86_400);

  it('finds the bar holding a time by its start times: [start, next start)', () => {
    expect(barStartOf(hourBars, open + 3600 + 1800, 3600)).toBe(open + 3600); // 11:00 is in the 10:30 bar
    expect(barStartOf(hourBars, open + 3599, 3600)).toBe(open);
    expect(barStartOf(hourBars, open + 3 * 3600 + 10, 3600)).toBe(open + 3 * 3600); // the next bar to come
    expect(barStartOf(dayBars, open + 86_400 - 1, 86_400)).toBe(open); // the next morning, before the open
    expect(barStartOf([], open + 1800, 3600)).toBe(bucketStart(open + 1800, 3600)); // no bars: the epoch grid
  });

  it('puts markers, tooltips and spike markers on the session bar, not on the epoch hour or day', () => {
    const at = (open + 3600 + 1800) * 1000; // 11:00 UTC
    expect(reversalMarker(reversal(at, 1), hourGrid, colours).time).toBe(open + 3600);
    expect(bucketOfMs(at, 3600)).toBe(open + 3600 + 1800); // the epoch grid would say 11:00: no bar there
    expect(reversalMarkers([reversal(at, 1)], hourGrid, open, colours).map((m) => m.time)).toEqual([open + 3600]);
    expect(reversalsAt([reversal(at, -1)], hourGrid, open + 3600)).toHaveLength(1);
    const evening = (open + 10 * 3600) * 1000; // 19:30 UTC: still the day's bar
    expect(spikeMarkers([spike(evening)], dayGrid, open, colours).map((m) => m.time)).toEqual([open]);
    expect(bucketOfMs(evening, 86_400)).not.toBe(open);
  });

  it('folds intensity points onto the session bars', () => {
    const points = [open + 10, open + 3000, open + 3700, open + 7300].map((time, i) => ({ time, value: i }));
    expect(foldToBuckets(points, hourGrid)).toEqual([
      { time: open, value: 1 },
      { time: open + 3600, value: 2 },
      { time: open + 7200, value: 3 },
    ]);
  });
});
