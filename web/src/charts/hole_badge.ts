// What a chart says about the holes still open in its channels (docs/PROTOCOL.md
// "gap"; web/README.md "Holes"), kept DOM-free: a badge while a hole of its candles,
// spikes or reversals is being filled over REST, and one that stays when a hole was
// given up, so a hole is never silent.

import type { OpenHole } from '../net/channel_sync';

export interface HoleBadge {
  /** Seqs still missing on the chart's channels. */
  readonly missing: number;
  /** At least one hole was given up (the history did not have it). */
  readonly failed: boolean;
  readonly text: string;
}

/** The badge of a chart on (symbol, tf); null when none of its channels has a hole. */
export function holeBadge(holes: readonly OpenHole[], symbol: string, tf: string): HoleBadge | null {
  const streams = new Map<string, string>([
    [`candles:${tf}`, 'candles'],
    ['spikes', 'spike events'],
    ['reversals', 'reversals'],
  ]);
  const byKind = new Map<string, number>();
  let missing = 0;
  let failed = false;
  for (const hole of holes) {
    const kind = hole.symbol === symbol ? streams.get(hole.stream) : undefined;
    if (kind === undefined) {
      continue;
    }
    const count = hole.to - hole.from + 1;
    byKind.set(kind, (byKind.get(kind) ?? 0) + count);
    missing += count;
    failed ||= hole.failed;
  }
  if (missing === 0) {
    return null;
  }
  const what = [...byKind].map(([kind, count]) => `${count} ${kind}`).join(', ');
  return { missing, failed, text: failed ? `Missing ${what}: not in the server's history` : `Filling ${what} missing…` };
}
