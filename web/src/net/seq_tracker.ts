// The last `seq` of each event channel (docs/PROTOCOL.md "Channels and streams"), kept
// DOM-free: says whether an event is the next one, a duplicate (seq <= last seen) or
// follows a hole, and gives the `resume` list after a reconnect.

import type { Channel, ResumeChannel } from './protocol';
import { channelKey, copyChannel } from './subscriptions';

export type SeqVerdict =
  /** The first seq of a channel not started by a snapshot: taken as it is. */
  | { readonly kind: 'first' }
  | { readonly kind: 'next' }
  | { readonly kind: 'duplicate' }
  /** Events `from`..`to` (inclusive) were skipped; the event itself is new. */
  | { readonly kind: 'gap'; readonly from: number; readonly to: number };

export interface SeqStats {
  /** Events dropped because their seq was not above the last seen. */
  readonly duplicates: number;
  /** Holes seen (a seq jump or a `gap` notice). */
  readonly gaps: number;
  /** Seqs in those holes. */
  readonly missed: number;
}

interface Entry {
  readonly channel: Channel;
  last: number;
}

export class SeqTracker {
  private readonly entries = new Map<string, Entry>();
  private duplicates = 0;
  private gaps = 0;
  private missed = 0;

  /** The last seq seen on a channel; undefined if it has not started. */
  last(channel: Channel): number | undefined {
    return this.entries.get(channelKey(channel))?.last;
  }

  /** Starts (or restarts) a channel at `seq` (a snapshot's `last_seq`). */
  reset(channel: Channel, seq: number): void {
    this.entries.set(channelKey(channel), { channel: copyChannel(channel), last: seq });
  }

  forget(channel: Channel): void {
    this.entries.delete(channelKey(channel));
  }

  /** Judges one event's seq and remembers it unless it is a duplicate. */
  observe(channel: Channel, seq: number): SeqVerdict {
    const key = channelKey(channel);
    const entry = this.entries.get(key);
    if (entry === undefined) {
      this.entries.set(key, { channel: copyChannel(channel), last: seq });
      return { kind: 'first' };
    }
    if (seq <= entry.last) {
      this.duplicates += 1;
      return { kind: 'duplicate' };
    }
    const from = entry.last + 1;
    entry.last = seq;
    if (seq === from) {
      return { kind: 'next' };
    }
    this.countGap(from, seq - 1);
    return { kind: 'gap', from, to: seq - 1 };
  }

  /**
   * A `gap` notice: events `from`..`to` will not come over this connection. Moves the
   * channel past them so the next event is not taken for another hole. Returns the
   * part not already behind us (null if none).
   */
  skip(channel: Channel, from: number, to: number): { readonly from: number; readonly to: number } | null {
    const key = channelKey(channel);
    const entry = this.entries.get(key);
    if (entry === undefined) {
      this.entries.set(key, { channel: copyChannel(channel), last: to });
      this.countGap(from, to);
      return { from, to };
    }
    // A notice may cover seqs we have (a resume asked for less than it could supply).
    const start = Math.max(from, 1);
    if (to > entry.last) {
      entry.last = to;
    }
    this.countGap(start, to);
    return to >= start ? { from: start, to } : null;
  }

  /** Every started channel with its last seq, for a `resume` request. */
  resumeChannels(): ResumeChannel[] {
    return [...this.entries.values()].map((e) => ({ symbol: e.channel.symbol, stream: e.channel.stream, seq: e.last }));
  }

  stats(): SeqStats {
    return { duplicates: this.duplicates, gaps: this.gaps, missed: this.missed };
  }

  private countGap(from: number, to: number): void {
    if (to >= from) {
      this.gaps += 1;
      this.missed += to - from + 1;
    }
  }
}
