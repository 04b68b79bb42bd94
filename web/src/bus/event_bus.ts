// A small typed publish/subscribe bus. `Topics` maps each topic name to its payload
// type, so a handler always receives exactly the payload its topic carries.

export type Handler<T> = (payload: T) => void;

export type ErrorReporter = (topic: string, error: unknown) => void;

export class EventBus<Topics extends object> {
  private readonly handlers = new Map<keyof Topics, Set<Handler<never>>>();
  private readonly reportError: ErrorReporter;

  /** A handler that throws is reported here; the other handlers still run. */
  constructor(reportError: ErrorReporter = (topic, error) => console.error(`bus: handler of '${topic}' failed`, error)) {
    this.reportError = reportError;
  }

  /** Registers `handler` for `topic`; the returned function unregisters it. */
  on<K extends keyof Topics>(topic: K, handler: Handler<Topics[K]>): () => void {
    let set = this.handlers.get(topic);
    if (set === undefined) {
      set = new Set();
      this.handlers.set(topic, set);
    }
    set.add(handler);
    return () => {
      this.handlers.get(topic)?.delete(handler);
    };
  }

  emit<K extends keyof Topics>(topic: K, payload: Topics[K]): void {
    const set = this.handlers.get(topic);
    if (set === undefined) {
      return;
    }
    // Copy: handlers may (un)subscribe while we iterate.
    for (const handler of [...set] as Handler<Topics[K]>[]) {
      try {
        handler(payload);
      } catch (error) {
        this.reportError(String(topic), error);
      }
    }
  }

  listenerCount<K extends keyof Topics>(topic: K): number {
    return this.handlers.get(topic)?.size ?? 0;
  }
}
