import { describe, expect, it } from 'vitest';
import { fromTime, intensityZone, spikeIntervals, zonedPoints } from '../src/charts/intensity_zones';
import { LatestPerTime } from '../src/charts/latest_per_time';
import type { SpikeEndEvent, SpikeStartEvent } from '../src/net/protocol';

const band = (time: number, lower: number, upper: number) => ({ time, lower, baseline: (lower + upper) / 2, upper });

function start(tMs: number): SpikeStartEvent {
  return { type: 'spike_start', symbol: 'ALFA', stream: 'spikes', seq: tMs, tick_seq: tMs, t_ms: tMs, intensity: 1, z: 3, price: 1 };
}

function end(startMs: number, endMs: number): SpikeEndEvent {
  return {
    type: 'spike_end',
    symbol: 'ALFA',
    stream: 'spikes',
    seq: endMs,
    tick_seq: endMs,
    t_ms: endMs,
    t_start_ms: startMs,
    t_peak_ms: startMs,
    t_end_ms: endMs,
    peak_intensity: 2,
    peak_z: 4,
    ticks: 9,
    price_start: 1,
    price_end: 1,
  };
}

describe('intensity zones', () => {
  it('puts a value below, inside or above the band, and a spike over all of them', () => {
    const b = band(0, 10, 20);
    expect(intensityZone(5, b, false)).toBe('below');
    expect(intensityZone(10, b, false)).toBe('inside');
    expect(intensityZone(20, b, false)).toBe('inside');
    expect(intensityZone(21, b, false)).toBe('above');
    expect(intensityZone(5, b, true)).toBe('spike');
    expect(intensityZone(50, undefined, false)).toBe('inside');
  });

  it('turns spike starts and ends into bucket intervals, an unfinished one open', () => {
    const intervals = spikeIntervals([start(12_500), start(3_000)], [end(3_000, 7_900)], 5);
    expect(intervals).toEqual([
      { from: 0, to: 5 },
      { from: 10, to: Infinity },
    ]);
    // An end closes the spike open at its time, whatever start time it reports.
    expect(spikeIntervals([start(3_000)], [end(2_000, 4_100)], 1)).toEqual([{ from: 3, to: 4 }]);
    // An end with nothing open is left alone.
    expect(spikeIntervals([start(9_000)], [end(1_000, 2_000)], 1)).toEqual([{ from: 9, to: Infinity }]);
  });

  it('colours each point by the newest band at or before it and by the spikes', () => {
    const points = [1, 2, 3, 4, 5].map((time) => ({ time, value: time * 10 }));
    const zoned = zonedPoints(points, [band(2, 15, 25), band(4, 45, 60)], [{ from: 5, to: 5 }]);
    expect(zoned.map((p) => p.zone)).toEqual(['inside', 'inside', 'above', 'below', 'spike']);
  });

  it('keeps the pane from reaching left of the first candle', () => {
    const points = [1, 2, 3, 4].map((time) => ({ time }));
    expect(fromTime(points, 3).map((p) => p.time)).toEqual([3, 4]);
    expect(fromTime(points, null)).toHaveLength(4);
    expect(fromTime(points, 0)).toHaveLength(4);
    expect(fromTime(points, 9)).toHaveLength(0);
  });
});

describe('LatestPerTime', () => {
  it('keeps the last value per bar between two frames, oldest bar first', () => {
    const q = new LatestPerTime<string>();
    q.put(1, 'a');
    q.put(1, 'b');
    q.put(2, 'c');
    q.put(2, 'd');
    q.put(2, 'e');
    expect(q.take()).toEqual(['b', 'e']);
    expect(q.coalesced()).toBe(3);
    expect(q.take()).toEqual([]);
    q.put(3, 'f');
    q.clear();
    expect(q.size()).toBe(0);
  });
});
