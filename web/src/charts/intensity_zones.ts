// Where an intensity value stands against the adaptive buffer band, for the colour of
// its bar in the intensity pane (docs/INDICATORS.md, the buffer band and spikes):
// below the lower line, inside the band, above the upper line, or in a spike (between
// a `spike_start` and its `spike_end`, whatever the band says). DOM-free.

import type { SpikeEndEvent, SpikeStartEvent } from '../net/protocol';
import type { BandPoint, IntensityPoint } from './indicator_state';
import { bucketOfMs, type BarGrid } from './time_series';

export type IntensityZone = 'below' | 'inside' | 'above' | 'spike';

export interface ZonedPoint extends IntensityPoint {
  readonly zone: IntensityZone;
}

/** The zone of `value` against `band` (none yet: inside). */
export function intensityZone(value: number, band: BandPoint | undefined, inSpike: boolean): IntensityZone {
  if (inSpike) {
    return 'spike';
  }
  if (band === undefined) {
    return 'inside';
  }
  if (value > band.upper) {
    return 'above';
  }
  if (value < band.lower) {
    return 'below';
  }
  return 'inside';
}

/** A spike on the bucket grid: from the bucket of its start to that of its end (open: Infinity). */
export interface SpikeInterval {
  readonly from: number;
  readonly to: number;
}

/**
 * The spikes as intervals of bucket times (`bucketSeconds` grid), oldest first. Starts
 * and ends are taken in time order; an end closes the spike open at its time (a start
 * with no end yet is open: Infinity).
 */
export function spikeIntervals(
  starts: readonly SpikeStartEvent[],
  ends: readonly SpikeEndEvent[],
  bucketSeconds: BarGrid,
): SpikeInterval[] {
  const marks = [
    ...starts.map((e) => ({ t: e.t_ms, start: true })),
    ...ends.map((e) => ({ t: e.t_end_ms, start: false })),
  ].sort((a, b) => a.t - b.t || Number(b.start) - Number(a.start));
  const out: SpikeInterval[] = [];
  let open: number | null = null;
  for (const mark of marks) {
    if (mark.start && open === null) {
      open = mark.t;
    } else if (!mark.start && open !== null) {
      out.push({ from: bucketOfMs(open, bucketSeconds), to: bucketOfMs(mark.t, bucketSeconds) });
      open = null;
    }
  }
  if (open !== null) {
    out.push({ from: bucketOfMs(open, bucketSeconds), to: Infinity });
  }
  return out;
}

/**
 * Each (bucketed) intensity point with its zone: the band point of the same bucket or
 * the newest before it, and whether a spike covers the bucket. Both inputs oldest first.
 */
export function zonedPoints(
  points: readonly IntensityPoint[],
  band: readonly BandPoint[],
  spikes: readonly SpikeInterval[],
): ZonedPoint[] {
  const out: ZonedPoint[] = [];
  let b = -1;
  for (const point of points) {
    while (b + 1 < band.length && (band[b + 1] as BandPoint).time <= point.time) {
      b += 1;
    }
    const inSpike = spikes.some((s) => s.from <= point.time && point.time <= s.to);
    out.push({ ...point, zone: intensityZone(point.value, b >= 0 ? band[b] : undefined, inSpike) });
  }
  return out;
}

/** Points (oldest first) at or after `first` (UTC seconds): the pane never reaches left of its candles. */
export function fromTime<P extends { readonly time: number }>(points: readonly P[], first: number | null): readonly P[] {
  if (first === null) {
    return points;
  }
  let lo = 0;
  let hi = points.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((points[mid] as P).time < first) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo === 0 ? points : points.slice(lo);
}
