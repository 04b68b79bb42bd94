import { describe, expect, it } from 'vitest';
import { EventLog } from '../src/charts/event_log';
import { TimeSeriesBuffer, bucketOfMs, bucketStart, foldToBuckets, secondOf } from '../src/charts/time_series';

interface P {
  readonly time: number;
  readonly value: number;
}

describe('secondOf / bucketStart / bucketOfMs', () => {
  it('floors milliseconds to the UTC second', () => {
    expect(secondOf(1767364261000)).toBe(1767364261);
    expect(secondOf(1767364261999)).toBe(1767364261);
    expect(secondOf(1767364262000)).toBe(1767364262);
  });

  it('aligns buckets to the epoch', () => {
    expect(bucketStart(1767364261, 1)).toBe(1767364261);
    expect(bucketStart(1767364261, 10)).toBe(1767364260);
    expect(bucketStart(1767364261, 60)).toBe(1767364260);
    expect(bucketStart(1767364259, 60)).toBe(1767364200);
    expect(bucketStart(1767364261, 3600)).toBe(1767362400);
  });

  it('maps an event time to the candle of each timeframe', () => {
    const t = 1767364269_999; // 13:11:09.999 within the 13:11:00 minute
    expect(bucketOfMs(t, 1)).toBe(1767364269);
    expect(bucketOfMs(t, 10)).toBe(1767364260);
    expect(bucketOfMs(t, 60)).toBe(1767364260);
    expect(bucketOfMs(1767364270_000, 10)).toBe(1767364270);
  });
});

describe('TimeSeriesBuffer', () => {
  it('folds points of the same second into one, the last value winning', () => {
    const series = new TimeSeriesBuffer<P>(10);
    expect(series.put({ time: 100, value: 1 })).toEqual({ kind: 'last', point: { time: 100, value: 1 } });
    expect(series.put({ time: 100, value: 2 })).toEqual({ kind: 'last', point: { time: 100, value: 2 } });
    expect(series.put({ time: 101, value: 3 })).toEqual({ kind: 'last', point: { time: 101, value: 3 } });
    expect(series.points()).toEqual([
      { time: 100, value: 2 },
      { time: 101, value: 3 },
    ]);
  });

  it('ignores points older than the last one', () => {
    const series = new TimeSeriesBuffer<P>(10);
    series.put({ time: 100, value: 1 });
    series.put({ time: 102, value: 2 });
    expect(series.put({ time: 101, value: 9 })).toEqual({ kind: 'ignored' });
    expect(series.points().map((p) => p.time)).toEqual([100, 102]);
  });

  it('stays bounded: past the bound it drops to 90 % and asks for a reset', () => {
    const series = new TimeSeriesBuffer<P>(10);
    for (let t = 0; t < 10; t += 1) {
      expect(series.put({ time: t, value: t }).kind).toBe('last');
    }
    expect(series.put({ time: 10, value: 10 })).toEqual({ kind: 'reset' });
    expect(series.size()).toBe(9);
    expect(series.first()).toEqual({ time: 2, value: 2 });
    expect(series.last()).toEqual({ time: 10, value: 10 });
    // Folding into the last point never grows the buffer.
    for (let i = 0; i < 100; i += 1) {
      series.put({ time: 10, value: i });
    }
    expect(series.size()).toBe(9);
  });

  it('holds at most maxPoints over a long run', () => {
    const series = new TimeSeriesBuffer<P>(3600);
    let resets = 0;
    for (let t = 0; t < 20_000; t += 1) {
      if (series.put({ time: t, value: t }).kind === 'reset') {
        resets += 1;
      }
      expect(series.size()).toBeLessThanOrEqual(3600);
    }
    expect(resets).toBeGreaterThan(0);
    expect(series.last()?.time).toBe(19_999);
  });

  it('drops points before a time', () => {
    const series = new TimeSeriesBuffer<P>(10);
    [1, 2, 3, 4].forEach((t) => series.put({ time: t, value: t }));
    expect(series.dropBefore(1)).toBe(false);
    expect(series.dropBefore(3)).toBe(true);
    expect(series.points().map((p) => p.time)).toEqual([3, 4]);
    expect(series.dropBefore(9)).toBe(true);
    expect(series.size()).toBe(0);
  });
});

describe('foldToBuckets', () => {
  const points: P[] = [
    { time: 58, value: 1 },
    { time: 59, value: 2 },
    { time: 60, value: 3 },
    { time: 65, value: 4 },
    { time: 70, value: 5 },
  ];

  it('is the identity for 1-second buckets', () => {
    expect(foldToBuckets(points, 1)).toEqual(points);
  });

  it('keeps the last point of each bucket, at the bucket start', () => {
    expect(foldToBuckets(points, 10)).toEqual([
      { time: 50, value: 2 },
      { time: 60, value: 4 },
      { time: 70, value: 5 },
    ]);
    expect(foldToBuckets(points, 60)).toEqual([
      { time: 0, value: 2 },
      { time: 60, value: 5 },
    ]);
  });

  it('keeps the other fields of a point', () => {
    expect(foldToBuckets([{ time: 61, upper: 3, lower: 1 }], 60)).toEqual([{ time: 60, upper: 3, lower: 1 }]);
  });
});

describe('EventLog', () => {
  interface E {
    readonly id: number;
    readonly t: number;
  }
  const log = (max: number) =>
    new EventLog<E>(
      max,
      (e) => String(e.id),
      (e) => e.t,
    );

  it('skips duplicates (a re-sent snapshot) and counts what is new', () => {
    const events = log(10);
    expect(events.add([{ id: 1, t: 10 }, { id: 2, t: 20 }])).toBe(2);
    expect(events.add([{ id: 2, t: 20 }, { id: 3, t: 30 }])).toBe(1);
    expect(events.events().map((e) => e.id)).toEqual([1, 2, 3]);
  });

  it('keeps time order when an older event comes late', () => {
    const events = log(10);
    events.add([{ id: 1, t: 10 }, { id: 3, t: 30 }]);
    events.add([{ id: 2, t: 20 }]);
    expect(events.events().map((e) => e.id)).toEqual([1, 2, 3]);
  });

  it('keeps only the newest maxEvents', () => {
    const events = log(3);
    for (let i = 1; i <= 10; i += 1) {
      events.add([{ id: i, t: i }]);
    }
    expect(events.events().map((e) => e.id)).toEqual([8, 9, 10]);
    // A dropped event may come back (in a snapshot) and is dropped again as the oldest.
    events.add([{ id: 1, t: 1 }]);
    expect(events.events().map((e) => e.id)).toEqual([8, 9, 10]);
    events.clear();
    expect(events.size()).toBe(0);
  });
});
