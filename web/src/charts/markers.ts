// Indicator events -> Lightweight Charts series markers, DOM-free. A marker sits on the
// bar that holds the event's `t_ms` (a `BarGrid`: the chart's bars, so session bars
// that start at the open are found; a number of seconds is the epoch grid). Each version
// has its own shape and, per direction, its own colour (`kVersionStyle`, colours from the
// theme's CSS variables); BUY sits below the bar, SELL above. Events of one bar, version
// and direction share one marker, so a busy bar on a long timeframe shows at most four
// markers a side instead of a tower.

import type { SeriesMarkerBar, UTCTimestamp } from 'lightweight-charts';
import type { ReversalEvent, SpikeStartEvent } from '../net/protocol';
import { bucketOfMs, type BarGrid } from './time_series';

export type ChartMarker = SeriesMarkerBar<UTCTimestamp>;

export interface MarkerColours {
  /** Per version 1–4 (index 0 is v1): the BUY and SELL colours. */
  readonly versions: readonly { readonly buy: string; readonly sell: string }[];
  readonly spike: string;
}

type MarkerShape = 'arrowUp' | 'arrowDown' | 'circle' | 'square';

/**
 * How each version looks: v1 arrows, v2 circles, v3 squares, v4 large arrows. An arrow
 * points the way of the reversal; every version's BUY is below the bar, SELL above.
 */
export const kVersionStyle: Readonly<Record<number, { readonly buy: MarkerShape; readonly sell: MarkerShape; readonly size: number }>> = {
  1: { buy: 'arrowUp', sell: 'arrowDown', size: 1 },
  2: { buy: 'circle', sell: 'circle', size: 1 },
  3: { buy: 'square', sell: 'square', size: 1 },
  4: { buy: 'arrowUp', sell: 'arrowDown', size: 1.6 },
};

/** At most this many markers per series, the newest (a thousand keeps drawing cheap). */
export const kMaxMarkers = 1_000;

/** The marker of one reversal: BUY (+1) below the bar, SELL (-1) above, in its version's shape and colour. */
export function reversalMarker(event: ReversalEvent, tfSeconds: BarGrid, colours: MarkerColours): ChartMarker {
  const buy = event.direction > 0;
  const style = kVersionStyle[event.version] ?? kVersionStyle[1]!;
  const colour = colours.versions[event.version - 1] ?? colours.versions[0];
  const marker: ChartMarker = {
    time: bucketOfMs(event.t_ms, tfSeconds) as UTCTimestamp,
    position: buy ? 'belowBar' : 'aboveBar',
    shape: buy ? style.buy : style.sell,
    color: colour === undefined ? '' : buy ? colour.buy : colour.sell,
    text: `v${event.version}`,
  };
  return style.size === 1 ? marker : { ...marker, size: style.size };
}

/**
 * The markers of `events` (oldest first) on a `tfSeconds` chart whose first bar is at
 * `firstTime` (UTC seconds; null: no bars, no markers). Events before the first bar are
 * left out (the chart would pile them onto it); one marker per (bar, version,
 * direction); sorted by time, then version; the newest `max` kept.
 */
export function reversalMarkers(
  events: readonly ReversalEvent[],
  tfSeconds: BarGrid,
  firstTime: number | null,
  colours: MarkerColours,
  max: number = kMaxMarkers,
  versions: ReadonlySet<number> | null = null,
): ChartMarker[] {
  if (firstTime === null) {
    return [];
  }
  const groups = new Map<string, ChartMarker>();
  for (const event of events) {
    if (versions !== null && !versions.has(event.version)) {
      continue;
    }
    const marker = reversalMarker(event, tfSeconds, colours);
    if (marker.time < firstTime) {
      continue;
    }
    const key = `${marker.time}:${event.version}:${event.direction > 0 ? 'buy' : 'sell'}`;
    if (!groups.has(key)) {
      groups.set(key, marker);
    }
  }
  const markers = [...groups.values()].sort((a, b) => a.time - b.time || versionOf(a) - versionOf(b));
  return newest(markers, max);
}

/** The reversals drawn on the bar at `time` (for the tooltip), in the versions shown. */
export function reversalsAt(
  events: readonly ReversalEvent[],
  tfSeconds: BarGrid,
  time: number,
  versions: ReadonlySet<number> | null = null,
): ReversalEvent[] {
  return events.filter((e) => bucketOfMs(e.t_ms, tfSeconds) === time && (versions === null || versions.has(e.version)));
}

/** One tooltip line: `v2 SELL 101.38 · extreme_retrace · strength 6`. */
export function reversalLabel(event: ReversalEvent): string {
  return `v${event.version} ${event.direction > 0 ? 'BUY' : 'SELL'} ${event.price} · ${event.reason} · strength ${event.strength}`;
}

/** Spike starts as small circles above the intensity line, one per bar. */
export function spikeMarkers(
  events: readonly SpikeStartEvent[],
  bucketSeconds: BarGrid,
  firstTime: number | null,
  colours: MarkerColours,
  max: number = kMaxMarkers,
): ChartMarker[] {
  if (firstTime === null) {
    return [];
  }
  const byTime = new Map<number, ChartMarker>();
  for (const event of events) {
    const time = bucketOfMs(event.t_ms, bucketSeconds);
    if (time >= firstTime && !byTime.has(time)) {
      byTime.set(time, {
        time: time as UTCTimestamp,
        position: 'aboveBar',
        shape: 'circle',
        color: colours.spike,
        size: 0.6,
      });
    }
  }
  return newest(sortByTime([...byTime.values()]), max);
}

function versionOf(marker: ChartMarker): number {
  return Number(marker.text?.slice(1) ?? 0);
}

function sortByTime(markers: ChartMarker[]): ChartMarker[] {
  // Stable: a bar's SELL and BUY keep the order they were first seen in.
  return markers.sort((a, b) => a.time - b.time);
}

function newest(markers: ChartMarker[], max: number): ChartMarker[] {
  const keep = Math.max(0, Math.floor(max));
  return markers.length > keep ? markers.slice(markers.length - keep) : markers;
}
