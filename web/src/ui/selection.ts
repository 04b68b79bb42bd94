// What a chart subscribes to for its choice (the channels and how far back each
// snapshot reaches), and the smoother shown before the user picks one.

import { timeframeSeconds } from '../charts/timeframe';
import { candlesStream, intensityStream, isSmoother, type Smoother } from '../net/protocol';
import type { WantedChannel } from '../net/socket_client';

/** Bars a candle snapshot should hold at least (history of at least 10 minutes, at most 7 days). */
export const kSnapshotBars = 300;

/** Seconds of candle history to ask for on a timeframe. */
export function candleHistorySeconds(tf: string): number {
  const seconds = timeframeSeconds(tf) ?? 1;
  return Math.min(604_800, Math.max(600, seconds * kSnapshotBars));
}

/** The value streams' snapshots: the downsampled intensity and band (10 rows a second). */
export const kValueHistory = '5m';
/** Spikes and reversals: sparse, so an hour of them. */
export const kSignalHistory = '1h';

/**
 * Everything a chart subscribes to for a choice: the candle channel and the symbol's
 * indicator channels, `intensity:<s>` in the user's smoother. Reversal markers and
 * spike markers need no timeframe, so only the candle channel follows `tf`.
 */
export function chartChannels(symbol: string, tf: string, smoother: Smoother): WantedChannel[] {
  return [
    { symbol, stream: candlesStream(tf), history: candleHistorySeconds(tf) },
    { symbol, stream: intensityStream(smoother), history: kValueHistory },
    { symbol, stream: 'buffer', history: kValueHistory },
    { symbol, stream: 'spikes', history: kSignalHistory },
    { symbol, stream: 'reversals', history: kSignalHistory },
  ];
}

/** The smoother shown before the user picks one. */
export const kDefaultSmoother: Smoother = 'ema';

/** A stored or picked smoother name, or the default for anything else. */
export function smootherOrDefault(value: unknown): Smoother {
  return isSmoother(value) ? value : kDefaultSmoother;
}
