import { describe, expect, it } from 'vitest';
import { kMaxMarkers, reversalLabel, reversalMarker, reversalMarkers, reversalsAt, spikeMarkers } from '../src/charts/markers';
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
