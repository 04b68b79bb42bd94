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
  /** Delay before the one retry of a failed refetch. */
  readonly retryMs?: number;
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
  private readonly inFlight = new Set<string>();
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

  private refetch(channel: Channel, from: number, to: number, attempt = 0): void {
    const key = `${channelKey(channel)}\u0000${from}\u0000${to}`;
    if (this.inFlight.has(key)) {
      return;
    }
    this.inFlight.add(key);
    if (attempt === 0) {
      this.refetches += 1;
    }
    const target = { symbol: channel.symbol, stream: channel.stream };
    this.options.history.eventsBetween(target, from, to).then(
      (events) => {
        this.inFlight.delete(key);
        this.refetched += events.length;
        if (events.length > 0) {
          this.options.onRefill(target, events);
        }
      },
      (error: unknown) => {
        this.inFlight.delete(key);
        if (attempt === 0) {
          setTimeout(() => this.refetch(target, from, to, 1), this.options.retryMs ?? 1000);
          return;
        }
        this.refetchFailures += 1;
        this.options.onWarning?.(`${target.symbol} ${target.stream}: refetch of ${from}..${to} failed: ${String(error)}`);
      },
    );
  }
}
