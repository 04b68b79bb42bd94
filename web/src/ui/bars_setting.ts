// How many bars each chart keeps (web/README.md "Settings"): the URL's `bars=` wins and
// is remembered in localStorage (`spacetime.bars`); else what was remembered; else the
// default. Out-of-range values are clamped, unreadable ones ignored. DOM-free.

import { kDefaultMaxBars } from '../charts/candle_buffer';

export const kBarsStorageKey = 'spacetime.bars';
/** One scroll-back page (300) more than the first screen of 1 s bars at the least. */
export const kMinBars = 1_000;
export const kMaxBars = 50_000;

/** A bars value as given (URL or storage): clamped to [kMinBars, kMaxBars]; null if not a number. */
export function parseBars(value: string | null | undefined): number | null {
  if (value === null || value === undefined || value.trim() === '') {
    return null;
  }
  const n = Number(value);
  if (!Number.isFinite(n)) {
    return null;
  }
  return Math.min(kMaxBars, Math.max(kMinBars, Math.floor(n)));
}

/**
 * The setting for this page: `fromUrl` true when the URL gave it (the page then stores it
 * and keeps `bars=` in the URL it writes).
 */
export function barsSetting(search: string, stored: string | null): { readonly bars: number; readonly fromUrl: boolean } {
  const fromUrl = parseBars(new URLSearchParams(search).get('bars'));
  if (fromUrl !== null) {
    return { bars: fromUrl, fromUrl: true };
  }
  return { bars: parseBars(stored) ?? kDefaultMaxBars, fromUrl: false };
}
