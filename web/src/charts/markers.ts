// Indicator events -> Lightweight Charts series markers, DOM-free. A marker sits on the
// bar whose time bucket (on the shown timeframe) holds the event's `t_ms`. Events of
// one bar and direction share one marker, so a busy bar on a long timeframe shows one
// arrow labelled with its versions ("v1 v2") instead of a tower of arrows.

import type { SeriesMarkerBar, UTCTimestamp } from 'lightweight-charts';
import type { ReversalEvent, SpikeStartEvent } from '../net/protocol';
import { bucketOfMs } from './time_series';

export type ChartMarker = SeriesMarkerBar<UTCTimestamp>;

export interface MarkerColours {
  readonly buy: string;
  readonly sell: string;
  readonly spike: string;
}

/** At most this many markers per series (a few hundred keeps drawing cheap). */
export const kMaxMarkers = 300;

/** The marker of one reversal: BUY (+1) an up arrow below the bar, SELL (-1) a down arrow above. */
export function reversalMarker(event: ReversalEvent, tfSeconds: number, colours: MarkerColours): ChartMarker {
  const buy = event.direction > 0;
  return {
    time: bucketOfMs(event.t_ms, tfSeconds) as UTCTimestamp,
    position: buy ? 'belowBar' : 'aboveBar',
    shape: buy ? 'arrowUp' : 'arrowDown',
    color: buy ? colours.buy : colours.sell,
    text: `v${event.version}`,
  };
}

/**
 * The markers of `events` (oldest first) on a `tfSeconds` chart whose first bar is at
 * `firstTime` (UTC seconds; null: no bars, no markers). Events before the first bar are
 * left out (the chart would pile them onto it); one marker per (bar, direction), its
 * text the distinct versions in ascending order; sorted by time; the newest `max` kept.
 */
export function reversalMarkers(
  events: readonly ReversalEvent[],
  tfSeconds: number,
  firstTime: number | null,
  colours: MarkerColours,
  max: number = kMaxMarkers,
  versions: ReadonlySet<number> | null = null,
): ChartMarker[] {
  if (firstTime === null) {
    return [];
  }
  const groups = new Map<string, { marker: ChartMarker; versions: Set<number> }>();
  for (const event of events) {
    if (versions !== null && !versions.has(event.version)) {
      continue;
    }
    const marker = reversalMarker(event, tfSeconds, colours);
    if (marker.time < firstTime) {
      continue;
    }
    const key = `${marker.time}:${event.direction > 0 ? 'buy' : 'sell'}`;
    const group = groups.get(key);
    if (group === undefined) {
      groups.set(key, { marker, versions: new Set([event.version]) });
    } else {
      group.versions.add(event.version);
    }
  }
  const markers = [...groups.values()].map(({ marker, versions }) => ({
    ...marker,
    text: [...versions]
      .sort((a, b) => a - b)
      .map((v) => `v${v}`)
      .join(' '),
  }));
  return newest(sortByTime(markers), max);
}

/** The reversals drawn on the bar at `time` (for the tooltip), in the versions shown. */
export function reversalsAt(
  events: readonly ReversalEvent[],
  tfSeconds: number,
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
  bucketSeconds: number,
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

function sortByTime(markers: ChartMarker[]): ChartMarker[] {
  // Stable: a bar's SELL and BUY keep the order they were first seen in.
  return markers.sort((a, b) => a.time - b.time);
}

function newest(markers: ChartMarker[], max: number): ChartMarker[] {
  const keep = Math.max(0, Math.floor(max));
  return markers.length > keep ? markers.slice(markers.length - keep) : markers;
}
