// A bounded log of sparse indicator events (reversals, spikes) for one symbol: the
// snapshot's last events plus what batches add, without duplicates, ordered by time,
// the oldest dropped past a bound. DOM-free.

export class EventLog<E> {
  private readonly maxEvents: number;
  private readonly keyOf: (event: E) => string;
  private readonly timeOf: (event: E) => number;
  private events_: E[] = [];
  private readonly keys = new Set<string>();

  constructor(maxEvents: number, keyOf: (event: E) => string, timeOf: (event: E) => number) {
    this.maxEvents = Math.max(1, Math.floor(maxEvents));
    this.keyOf = keyOf;
    this.timeOf = timeOf;
  }

  /** Events oldest first. */
  events(): readonly E[] {
    return this.events_;
  }

  size(): number {
    return this.events_.length;
  }

  clear(): void {
    this.events_ = [];
    this.keys.clear();
  }

  /** Adds the events not held yet; returns how many were new. */
  add(events: readonly E[]): number {
    let added = 0;
    for (const event of events) {
      const key = this.keyOf(event);
      if (this.keys.has(key)) {
        continue;
      }
      this.keys.add(key);
      this.insert(event);
      added += 1;
    }
    if (this.events_.length > this.maxEvents) {
      const dropped = this.events_.splice(0, this.events_.length - this.maxEvents);
      for (const event of dropped) {
        this.keys.delete(this.keyOf(event));
      }
    }
    return added;
  }

  /**
   * Adds older events (scroll-back) only while there is room: unlike `add`, it never
   * pushes out what is held. Returns how many were new.
   */
  addOlder(events: readonly E[]): number {
    let added = 0;
    for (let i = events.length - 1; i >= 0 && this.events_.length < this.maxEvents; i -= 1) {
      const event = events[i] as E;
      const key = this.keyOf(event);
      if (!this.keys.has(key)) {
        this.keys.add(key);
        this.insert(event);
        added += 1;
      }
    }
    return added;
  }

  /** Keeps time order; events nearly always arrive in order, so this is an append. */
  private insert(event: E): void {
    const t = this.timeOf(event);
    let i = this.events_.length;
    while (i > 0 && this.timeOf(this.events_[i - 1] as E) > t) {
      i -= 1;
    }
    this.events_.splice(i, 0, event);
  }
}
