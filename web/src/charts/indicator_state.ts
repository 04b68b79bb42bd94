// The Space-Time indicators of one symbol as the chart shows them, kept DOM-free:
// the smoothed intensity line (per second, in the user's smoother), the adaptive
// buffer band (per second), spike starts and reversals (bounded logs). Each stream
// starts with its snapshot (v2: the downsampled history of `intensity:<s>` and
// `buffer`, the past spikes and reversals); events before it, of another symbol or of
// a smoother no longer chosen are ignored (see docs/PROTOCOL.md).

import type { IndicatorSnapshot, IndicatorStreamKind } from '../bus/topics';
import type {
  BufferEvent,
  BufferSampleEvent,
  IndicatorEvent,
  IntensityEvent,
  IntensitySampleEvent,
  ReversalEvent,
  Smoother,
  SpikeEndEvent,
  SpikeStartEvent,
} from '../net/protocol';
import { EventLog } from './event_log';
import { TimeSeriesBuffer, secondOf, type SeriesChange, type TimePoint } from './time_series';

export interface IntensityPoint extends TimePoint {
  readonly value: number;
}

export interface BandPoint extends TimePoint {
  readonly upper: number;
  readonly baseline: number;
  readonly lower: number;
}

/** One hour of per-second points. */
export const kDefaultMaxPoints = 3_600;
/**
 * Reversals and spike events kept per chart: the snapshot brings the last 200, the rest
 * is room for live ones and for the signals under scrolled-back candles.
 */
export const kDefaultMaxEvents = 2_000;

export type IndicatorIgnoreReason =
  | 'other_symbol'
  | 'no_snapshot' // the stream's snapshot has not come yet
  | 'other_smoother' // intensity in a smoother the user has switched away from
  | 'warming_up' // intensity whose smoother is not ready (`value` null), a band not ready
  | 'stale' // older than the last point
  | 'not_drawn'; // an event the chart does not draw

/** What the chart must redraw after a snapshot or an event. */
export type IndicatorChange =
  | { readonly kind: 'ignored'; readonly reason: IndicatorIgnoreReason }
  | { readonly kind: 'intensity'; readonly change: SeriesChange<IntensityPoint> }
  | { readonly kind: 'band'; readonly change: SeriesChange<BandPoint> }
  | { readonly kind: 'spikes' }
  | { readonly kind: 'reversals' };

export interface IndicatorLimits {
  readonly maxPoints?: number;
  readonly maxEvents?: number;
}

const kReset = { kind: 'reset' } as const;

export class IndicatorState {
  readonly symbol: string;
  readonly intensity: TimeSeriesBuffer<IntensityPoint>;
  readonly band: TimeSeriesBuffer<BandPoint>;
  readonly spikes: EventLog<SpikeStartEvent>;
  /** Spike ends: with the starts they say which intensity bars were in a spike. */
  readonly spikeEnds: EventLog<SpikeEndEvent>;
  readonly reversals: EventLog<ReversalEvent>;
  private smoother_: Smoother;
  private readonly ready_ = new Set<IndicatorStreamKind>();

  constructor(symbol: string, smoother: Smoother, limits: IndicatorLimits = {}) {
    this.symbol = symbol;
    this.smoother_ = smoother;
    const maxPoints = limits.maxPoints ?? kDefaultMaxPoints;
    const maxEvents = limits.maxEvents ?? kDefaultMaxEvents;
    this.intensity = new TimeSeriesBuffer(maxPoints);
    this.band = new TimeSeriesBuffer(maxPoints);
    // Reversals are numbered per channel (v2); t_ms keeps a restarted server's reused
    // seq numbers apart.
    this.reversals = new EventLog(maxEvents, (e) => `${e.seq}:${e.t_ms}:${e.version}`, (e) => e.t_ms);
    this.spikes = new EventLog(maxEvents, (e) => `${e.seq}:${e.t_ms}`, (e) => e.t_ms);
    this.spikeEnds = new EventLog(maxEvents, (e) => `${e.seq}:${e.t_ms}`, (e) => e.t_ms);
  }

  smoother(): Smoother {
    return this.smoother_;
  }

  /** The stream's snapshot has arrived (for intensity: in the current smoother). */
  ready(stream: IndicatorStreamKind): boolean {
    return this.ready_.has(stream);
  }

  /**
   * Switches the intensity line to another smoother: the line restarts from the
   * snapshot the server sends for the new subscription. False if nothing changed.
   */
  setSmoother(smoother: Smoother): boolean {
    if (smoother === this.smoother_) {
      return false;
    }
    this.smoother_ = smoother;
    this.intensity.clear();
    this.ready_.delete('intensity');
    return true;
  }

  applySnapshot(snapshot: IndicatorSnapshot): IndicatorChange {
    if (snapshot.symbol !== this.symbol) {
      return ignored('other_symbol');
    }
    const all = snapshot.current === null ? snapshot.events : [...snapshot.events, snapshot.current];
    switch (snapshot.kind) {
      case 'intensity': {
        if (snapshot.smoother !== null && snapshot.smoother !== this.smoother_) {
          return ignored('other_smoother');
        }
        // The first snapshot starts the line; a later one (after a reconnect) only
        // adds what is newer, so the line keeps its history across the gap.
        if (!this.ready_.has('intensity')) {
          this.intensity.clear();
        }
        this.ready_.add('intensity');
        for (const event of all) {
          if (event.type === 'intensity' || event.type === 'intensity_sample') {
            this.putIntensity(event);
          }
        }
        return { kind: 'intensity', change: kReset };
      }
      case 'buffer': {
        if (!this.ready_.has('buffer')) {
          this.band.clear();
        }
        this.ready_.add('buffer');
        for (const event of all) {
          if (event.type === 'buffer' || event.type === 'buffer_sample') {
            const point = bandPoint(event);
            if (point !== null) {
              this.band.put(point);
            }
          }
        }
        return { kind: 'band', change: kReset };
      }
      case 'spikes':
        this.ready_.add('spikes');
        this.spikes.add(all.filter((e): e is SpikeStartEvent => e.type === 'spike_start'));
        this.spikeEnds.add(all.filter((e): e is SpikeEndEvent => e.type === 'spike_end'));
        return { kind: 'spikes' };
      case 'reversals':
        this.ready_.add('reversals');
        this.reversals.add(all.filter((e): e is ReversalEvent => e.type === 'reversal'));
        return { kind: 'reversals' };
    }
  }

  apply(event: IndicatorEvent): IndicatorChange {
    if (event.symbol !== this.symbol) {
      return ignored('other_symbol');
    }
    switch (event.type) {
      case 'intensity':
      case 'intensity_sample': {
        if (event.smoother !== this.smoother_) {
          return ignored('other_smoother');
        }
        if (!this.ready_.has('intensity')) {
          return ignored('no_snapshot');
        }
        if (event.value === null) {
          return ignored('warming_up');
        }
        return seriesChange('intensity', this.putIntensity(event));
      }
      case 'buffer':
      case 'buffer_sample': {
        if (!this.ready_.has('buffer')) {
          return ignored('no_snapshot');
        }
        const point = bandPoint(event);
        if (point === null) {
          return ignored('warming_up');
        }
        return seriesChange('band', this.band.put(point));
      }
      case 'spike_start':
        if (!this.ready_.has('spikes')) {
          return ignored('no_snapshot');
        }
        return this.spikes.add([event]) > 0 ? { kind: 'spikes' } : ignored('stale');
      case 'spike_end':
        if (!this.ready_.has('spikes')) {
          return ignored('no_snapshot');
        }
        return this.spikeEnds.add([event]) > 0 ? { kind: 'spikes' } : ignored('stale');
      case 'reversal':
        if (!this.ready_.has('reversals')) {
          return ignored('no_snapshot');
        }
        return this.reversals.add([event]) > 0 ? { kind: 'reversals' } : ignored('stale');
    }
  }

  /** A spike has started and not ended yet (the newest start is after the newest end). */
  inSpike(): boolean {
    const start = this.spikes.events().at(-1);
    const end = this.spikeEnds.events().at(-1);
    return start !== undefined && (end === undefined || end.t_end_ms < start.t_ms);
  }

  private putIntensity(event: IntensityEvent | IntensitySampleEvent): SeriesChange<IntensityPoint> {
    if (event.value === null) {
      return { kind: 'ignored' };
    }
    return this.intensity.put({ time: secondOf(event.t_ms), value: event.value });
  }
}

/** A band point, or null while the band is not ready (zone or a bound missing). */
function bandPoint(event: BufferEvent | BufferSampleEvent): BandPoint | null {
  if (event.zone === 'not_ready' || event.upper === null || event.baseline === null || event.lower === null) {
    return null;
  }
  return { time: secondOf(event.t_ms), upper: event.upper, baseline: event.baseline, lower: event.lower };
}

function ignored(reason: IndicatorIgnoreReason): IndicatorChange {
  return { kind: 'ignored', reason };
}

function seriesChange<K extends 'intensity' | 'band', P extends TimePoint>(
  kind: K,
  change: SeriesChange<P>,
): { readonly kind: 'ignored'; readonly reason: 'stale' } | { readonly kind: K; readonly change: SeriesChange<P> } {
  return change.kind === 'ignored' ? { kind: 'ignored', reason: 'stale' } : { kind, change };
}
