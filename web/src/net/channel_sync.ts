// Keeps every event channel whole between the socket and the app (docs/PROTOCOL.md
// "snapshot", "gap", "resume"): drops events whose seq was already seen (counted),
// notices holes by seq or by a `gap` notice and fills them over REST, and hands the
// socket the last seqs to resume with after a reconnect. DOM-free.

import {
  eventSeq,
  isEventStream,
  type Channel,
  type MarketEvent,
  type ResumeChannel,
  type ServerMessage,
  type SnapshotMessage,
} from './protocol';
import { SeqTracker, type SeqStats } from './seq_tracker';
import { channelKey } from './subscriptions';

export interface EventHistory {
  eventsBetween(channel: Channel, from: number, to: number): Promise<readonly MarketEvent[]>;
}

export interface ChannelSyncOptions {
  readonly history: EventHistory;
  /** Events fetched to fill a hole, oldest first (possibly older than what was shown). */
  readonly onRefill: (channel: Channel, events: readonly MarketEvent[]) => void;
  /**
   * A resumed channel's numbering went backwards (the server lost its history, e.g. a
   * restart without storage): the channel must be subscribed afresh.
   */
  readonly resubscribe: (channel: Channel) => void;
  readonly onWarning?: (message: string) => void;
  /** The holes still open changed (one filled, narrowed, or given up): the whole list. */
  readonly onHoles?: (holes: readonly OpenHole[]) => void;
  /** Delay before the first retry of a hole not yet covered (doubles each time). */
  readonly retryMs?: number;
  /** The longest delay between two retries. */
  readonly maxRetryMs?: number;
  /** Fetches of one hole before it is given up (and left on screen as missing). */
  readonly maxAttempts?: number;
}

/** Retries of an uncovered hole: 0.5 s doubling to 8 s, 10 fetches in all (about 48 s). */
export const kRefetchRetryMs = 500;
export const kRefetchMaxRetryMs = 8_000;
export const kRefetchMaxAttempts = 10;

/** Seqs of an event channel known to be missing and not (yet) filled over REST. */
export interface OpenHole {
  readonly symbol: string;
  readonly stream: string;
  /** The seqs still missing, inclusive. */
  readonly from: number;
  readonly to: number;
  /** Fetches made so far. */
  readonly attempts: number;
  /** Given up after `maxAttempts`: the hole stays until the channel starts afresh, or is asked for again when a later range meets it. */
  readonly failed: boolean;
}

interface Hole {
  readonly channel: Channel;
  from: number;
  to: number;
  attempts: number;
  failed: boolean;
  timer: ReturnType<typeof setTimeout> | null;
}

export interface SyncStats extends SeqStats {
  /** REST refetches started, and events they brought. */
  readonly refetches: number;
  readonly refetched: number;
  readonly refetchFailures: number;
  /** Resumed snapshots taken, and channels whose numbering restarted. */
  readonly resumes: number;
  readonly restarts: number;
}

export class ChannelSync {
  private readonly options: ChannelSyncOptions;
  private readonly tracker = new SeqTracker();
  /** Holes by channel and first seq; each is fetched, and retried until covered. */
  /** Open holes by channel key, NUL, and a number of their own. */
  private readonly holes = new Map<string, Hole>();
  private nextHole = 0;
  private refetches = 0;
  private refetched = 0;
  private refetchFailures = 0;
  private resumes = 0;
  private restarts = 0;

  constructor(options: ChannelSyncOptions) {
    this.options = options;
  }

  /** The message as the app should see it: duplicates removed; null to drop it whole. */
  accept(message: ServerMessage): ServerMessage | null {
    switch (message.type) {
      case 'snapshot':
        return this.snapshot(message);
      case 'batch': {
        const events = message.events.filter((event) => this.keep(event));
        return events.length === message.events.length ? message : { ...message, events };
      }
      case 'gap': {
        const range = this.tracker.skip(message, message.from, message.to);
        if (range !== null) {
          this.refetch(message, range.from, range.to);
        }
        return message;
      }
      default:
        return message;
    }
  }

  /** The `resume` list for the channels still subscribed. */
  resumeChannels(subscribed: readonly Channel[]): ResumeChannel[] {
    const wanted = new Set(subscribed.map(channelKey));
    return this.tracker.resumeChannels().filter((c) => wanted.has(channelKey(c)));
  }

  /** The last seq seen on a channel (undefined before its snapshot). */
  lastSeq(channel: Channel): number | undefined {
    return this.tracker.last(channel);
  }

  forget(channel: Channel): void {
    this.tracker.forget(channel);
    this.dropHoles(channel);
  }

  /** Holes not filled yet (being retried, or given up), oldest first per channel. */
  openHoles(): OpenHole[] {
    return [...this.holes.values()].map((h) => ({
      symbol: h.channel.symbol,
      stream: h.channel.stream,
      from: h.from,
      to: h.to,
      attempts: h.attempts,
      failed: h.failed,
    }));
  }

  stats(): SyncStats {
    return {
      ...this.tracker.stats(),
      refetches: this.refetches,
      refetched: this.refetched,
      refetchFailures: this.refetchFailures,
      resumes: this.resumes,
      restarts: this.restarts,
    };
  }

  private snapshot(original: SnapshotMessage): SnapshotMessage | null {
    if (!isEventStream(original.stream)) {
      return original;
    }
    // The candle in progress is newer than every closed candle: a last_seq that counts
    // it would make the next closed candle look like a duplicate.
    const current = original.current;
    const message =
      current !== null && current.type === 'candle' && !current.closed && original.last_seq >= current.seq
        ? { ...original, last_seq: current.seq - 1 }
        : original;
    const known = this.tracker.last(message);
    if (!message.resume || known === undefined) {
      // A snapshot starts the channel; a hole inside its events, or between its newest
      // event and its last_seq, is fetched like any other.
      let previous: number | null = null;
      for (const event of message.events) {
        const seq = eventSeq(event);
        if (seq === null) {
          continue;
        }
        if (previous !== null && seq > previous + 1) {
          this.refetch(message, previous + 1, seq - 1);
        }
        previous = previous === null ? seq : Math.max(previous, seq);
      }
      if (previous !== null && message.last_seq > previous) {
        this.refetch(message, previous + 1, message.last_seq);
      }
      this.tracker.reset(message, Math.max(message.last_seq, previous ?? 0));
      return message;
    }
    this.resumes += 1;
    if (message.last_seq < known) {
      // The server numbers this channel from scratch: what we hold cannot be continued.
      this.restarts += 1;
      this.tracker.forget(message);
      this.dropHoles(message);
      this.options.onWarning?.(`${message.symbol} ${message.stream}: seq went back from ${known} to ${message.last_seq}; subscribing afresh`);
      this.options.resubscribe({ symbol: message.symbol, stream: message.stream });
      return null;
    }
    const events = message.events.filter((event) => this.keep(event));
    const last = this.tracker.last(message) ?? known;
    if (message.last_seq > last) {
      // The snapshot stops short of its own last_seq (a capped resume): fetch the rest.
      const range = this.tracker.skip(message, last + 1, message.last_seq);
      if (range !== null) {
        this.refetch(message, range.from, range.to);
      }
    }
    return { ...message, events };
  }

  /** False for a duplicate; starts a refetch when the event follows a hole. */
  private keep(event: MarketEvent): boolean {
    const seq = eventSeq(event);
    if (seq === null) {
      return true;
    }
    const verdict = this.tracker.observe(event, seq);
    switch (verdict.kind) {
      case 'duplicate':
        return false;
      case 'gap':
        this.refetch(event, verdict.from, verdict.to);
        return true;
      default:
        return true;
    }
  }

  /**
   * Fills seqs `from`..`to` over REST. An answer that does not cover the range (a
   * store still catching up, an error, `busy`) is asked again for what is still
   * missing, after 0.5 s doubling to 8 s, until `maxAttempts` fetches; the hole is then
   * given up, counted, and stays in `openHoles()` so the screen can say so.
   */
  private refetch(channel: Channel, from: number, to: number): void {
    if (to < from) {
      return;
    }
    const target = { symbol: channel.symbol, stream: channel.stream };
    const prefix = `${channelKey(target)}\u0000`;
    // What the channel's open holes already cover is theirs (each keeps its own key while a
    // partial answer narrows it): only the rest of the range becomes new holes, so no seq
    // is fetched, or counted as missing, twice.
    // A given-up hole the range meets is asked for again from the start (the store may have
    // caught up since).
    let parts: [number, number][] = [[from, to]];
    let revived = false;
    for (const [key, known] of this.holes) {
      if (!key.startsWith(prefix)) {
        continue;
      }
      if (known.failed && parts.some(([a, b]) => b >= known.from && a <= known.to)) {
        known.failed = false;
        known.attempts = 0;
        revived = true;
        this.fetchHole(key, known);
      }
      parts = parts.flatMap(([a, b]): [number, number][] => {
        if (b < known.from || a > known.to) {
          return [[a, b]];
        }
        const rest: [number, number][] = [];
        if (a < known.from) {
          rest.push([a, known.from - 1]);
        }
        if (b > known.to) {
          rest.push([known.to + 1, b]);
        }
        return rest;
      });
    }
    if (parts.length === 0) {
      if (revived) {
        this.refetches += 1;
        this.notifyHoles();
      }
      return;
    }
    this.refetches += 1;
    for (const [a, b] of parts) {
      this.nextHole += 1;
      const key = `${prefix}${this.nextHole}`;
      const hole: Hole = { channel: target, from: a, to: b, attempts: 0, failed: false, timer: null };
      this.holes.set(key, hole);
      this.fetchHole(key, hole);
    }
    this.notifyHoles();
  }

  private fetchHole(key: string, hole: Hole): void {
    hole.attempts += 1;
    const { from, to } = hole;
    this.options.history.eventsBetween(hole.channel, from, to).then(
      (events) => {
        if (this.holes.get(key) !== hole) {
          return; // the channel started afresh meanwhile
        }
        this.refetched += events.length;
        if (events.length > 0) {
          this.options.onRefill(hole.channel, events);
        }
        const got = new Set<number>();
        for (const event of events) {
          const seq = eventSeq(event);
          if (seq !== null) {
            got.add(seq);
          }
        }
        let first = hole.from;
        while (first <= hole.to && got.has(first)) {
          first += 1;
        }
        let last = hole.to;
        while (last >= first && got.has(last)) {
          last -= 1;
        }
        if (first > last) {
          this.holes.delete(key);
          this.notifyHoles();
          return;
        }
        const narrowed = first !== hole.from || last !== hole.to;
        hole.from = first;
        hole.to = last;
        this.retryHole(key, hole, `${to - from + 1 - (last - first + 1)} of ${to - from + 1} events came`, narrowed);
      },
      (error: unknown) => {
        if (this.holes.get(key) === hole) {
          this.retryHole(key, hole, String(error), false);
        }
      },
    );
  }

  private retryHole(key: string, hole: Hole, why: string, changed: boolean): void {
    const maxAttempts = this.options.maxAttempts ?? kRefetchMaxAttempts;
    if (hole.attempts >= maxAttempts) {
      hole.failed = true;
      this.refetchFailures += 1;
      this.options.onWarning?.(
        `${hole.channel.symbol} ${hole.channel.stream}: refetch of ${hole.from}..${hole.to} given up after ${hole.attempts} attempts: ${why}`,
      );
      this.notifyHoles();
      return;
    }
    if (changed) {
      this.notifyHoles();
    }
    const first = this.options.retryMs ?? kRefetchRetryMs;
    const delay = Math.min(this.options.maxRetryMs ?? kRefetchMaxRetryMs, first * 2 ** (hole.attempts - 1));
    hole.timer = setTimeout(() => {
      hole.timer = null;
      if (this.holes.get(key) === hole) {
        this.fetchHole(key, hole);
      }
    }, delay);
  }

  private dropHoles(channel: Channel): void {
    const prefix = `${channelKey(channel)}\u0000`;
    let dropped = false;
    for (const [key, hole] of this.holes) {
      if (key.startsWith(prefix)) {
        if (hole.timer !== null) {
          clearTimeout(hole.timer);
        }
        this.holes.delete(key);
        dropped = true;
      }
    }
    if (dropped) {
      this.notifyHoles();
    }
  }

  private notifyHoles(): void {
    this.options.onHoles?.(this.openHoles());
  }
}
