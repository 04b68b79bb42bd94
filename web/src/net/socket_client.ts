// The WebSocket connection to the gateway: connects, reconnects with backoff, keeps the
// set of subscriptions (candle channels and indicator streams, with their parameters)
// and re-sends it on every new connection, and hands each parsed server message to its
// owner. The socket itself comes from a factory, so the logic
// runs without a browser in tests.

import { backoffDelay, kDefaultBackoff, type BackoffOptions } from './backoff';
import {
  encodeClientMessage,
  parseServerFrame,
  subscribeMessage,
  unsubscribeMessage,
  type ClientMessage,
  type ServerMessage,
  type Subscription,
} from './protocol';
import { copySubscription, sameSubscription, subscriptionKey } from './subscriptions';

export type ConnectionStatus = 'connecting' | 'connected' | 'reconnecting' | 'stopped';

/** Events of one underlying socket. */
export interface SocketHandlers {
  open(): void;
  message(data: unknown): void;
  close(code: number, reason: string): void;
}

/** The little the client needs from one underlying socket. */
export interface SocketHandle {
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export type SocketFactory = (url: string, handlers: SocketHandlers) => SocketHandle;

export interface MarketSocketOptions {
  readonly url: string;
  readonly onMessage: (message: ServerMessage) => void;
  readonly onStatus?: (status: ConnectionStatus) => void;
  readonly onMalformed?: (reason: string) => void;
  readonly factory?: SocketFactory;
  readonly backoff?: BackoffOptions;
  readonly random?: () => number;
  /** A ping goes out this often; 0 disables the heartbeat. */
  readonly heartbeatMs?: number;
  /** The connection is dropped and re-made when nothing arrived for this long. */
  readonly idleTimeoutMs?: number;
}

/** `ws://host/ws` or `wss://host/ws` for the page's own origin. */
export function gatewaySocketUrl(location: { readonly protocol: string; readonly host: string }): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/ws`;
}

export const browserSocketFactory: SocketFactory = (url, handlers) => {
  const ws = new WebSocket(url);
  ws.onopen = () => handlers.open();
  ws.onmessage = (event: MessageEvent<unknown>) => handlers.message(event.data);
  ws.onclose = (event: CloseEvent) => handlers.close(event.code, event.reason);
  // An error is always followed by a close event, which drives the reconnect.
  ws.onerror = null;
  return {
    send: (data) => ws.send(data),
    close: (code, reason) => ws.close(code, reason),
  };
};

export class MarketSocket {
  private readonly options: MarketSocketOptions;
  private readonly factory: SocketFactory;
  private readonly subscriptions = new Map<string, Subscription>();
  private socket: SocketHandle | null = null;
  private open = false;
  private generation = 0;
  private attempt = 0;
  private running = false;
  private status: ConnectionStatus = 'stopped';
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private heartbeatTimer: ReturnType<typeof setInterval> | null = null;
  private lastFrameAt = 0;
  private nextPingId = 1;
  private malformedFrames = 0;

  constructor(options: MarketSocketOptions) {
    this.options = options;
    this.factory = options.factory ?? browserSocketFactory;
  }

  start(): void {
    if (this.running) {
      return;
    }
    this.running = true;
    this.connect('connecting');
  }

  stop(): void {
    this.running = false;
    this.clearTimers();
    this.dropSocket(1000, 'client stopped');
    this.setStatus('stopped');
  }

  /**
   * Subscribes to a channel. Subscribing again with other parameters (another
   * `smoother` for `intensity`) re-sends the subscription, which the server answers
   * with a new snapshot; an identical subscription is not sent twice.
   */
  subscribe(subscription: Subscription): void {
    const key = subscriptionKey(subscription);
    const known = this.subscriptions.get(key);
    if (known !== undefined && sameSubscription(known, subscription)) {
      return;
    }
    this.subscriptions.set(key, copySubscription(subscription));
    this.send(subscribeMessage(subscription));
  }

  unsubscribe(subscription: Subscription): void {
    const key = subscriptionKey(subscription);
    const known = this.subscriptions.get(key);
    if (known === undefined) {
      return;
    }
    this.subscriptions.delete(key);
    this.send(unsubscribeMessage(known));
  }

  /**
   * Makes `wanted` the whole set of subscriptions: unsubscribes what is no longer
   * wanted (first, so the server stops sending it), then subscribes what is new or
   * changed, in the order given.
   */
  setSubscriptions(wanted: readonly Subscription[]): void {
    const keys = new Set(wanted.map(subscriptionKey));
    for (const [key, known] of [...this.subscriptions]) {
      if (!keys.has(key)) {
        this.unsubscribe(known);
      }
    }
    for (const subscription of wanted) {
      this.subscribe(subscription);
    }
  }

  /** The current subscriptions, in the order they were first made. */
  channels(): Subscription[] {
    return [...this.subscriptions.values()];
  }

  connectionStatus(): ConnectionStatus {
    return this.status;
  }

  /** Frames rejected by the parser since start. */
  malformedCount(): number {
    return this.malformedFrames;
  }

  private connect(status: ConnectionStatus): void {
    this.setStatus(status);
    const generation = ++this.generation;
    // Handlers of a socket we have given up on must not touch the current one.
    const current = (): boolean => generation === this.generation;
    this.socket = this.factory(this.options.url, {
      open: () => {
        if (current()) {
          this.onOpen();
        }
      },
      message: (data) => {
        if (current()) {
          this.onFrame(data);
        }
      },
      close: () => {
        if (current()) {
          this.onClose();
        }
      },
    });
  }

  private onOpen(): void {
    this.open = true;
    this.lastFrameAt = Date.now();
    this.setStatus('connected');
    for (const subscription of this.subscriptions.values()) {
      this.send(subscribeMessage(subscription));
    }
    this.startHeartbeat();
  }

  private onFrame(data: unknown): void {
    this.lastFrameAt = Date.now();
    const result = parseServerFrame(data);
    if (!result.ok) {
      this.malformedFrames += 1;
      this.options.onMalformed?.(result.error);
      return;
    }
    if (result.message.type === 'hello') {
      // Only a server that got as far as greeting us resets the backoff; one that
      // accepts and drops at once keeps backing off.
      this.attempt = 0;
    }
    this.options.onMessage(result.message);
  }

  private onClose(): void {
    this.dropSocket();
    if (!this.running) {
      return;
    }
    this.setStatus('reconnecting');
    const delay = backoffDelay(this.attempt, this.options.backoff ?? kDefaultBackoff, this.options.random ?? Math.random);
    this.attempt += 1;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (this.running) {
        this.connect('reconnecting');
      }
    }, delay);
  }

  private startHeartbeat(): void {
    const every = this.options.heartbeatMs ?? 15_000;
    if (every <= 0) {
      return;
    }
    const idleLimit = this.options.idleTimeoutMs ?? every * 3;
    this.heartbeatTimer = setInterval(() => {
      if (Date.now() - this.lastFrameAt > idleLimit) {
        // A silent connection may be half-open; the browser might take minutes to
        // notice, so give it up now and reconnect.
        this.onClose();
        return;
      }
      this.send({ op: 'ping', id: this.nextPingId++ });
    }, every);
  }

  private send(message: ClientMessage): void {
    if (this.open && this.socket !== null) {
      this.socket.send(encodeClientMessage(message));
    }
  }

  /** Forgets the current socket (closing it if asked) so its late events are ignored. */
  private dropSocket(code?: number, reason?: string): void {
    if (this.heartbeatTimer !== null) {
      clearInterval(this.heartbeatTimer);
      this.heartbeatTimer = null;
    }
    const socket = this.socket;
    this.socket = null;
    this.open = false;
    this.generation += 1;
    if (socket !== null) {
      socket.close(code ?? 4000, reason ?? 'reconnecting');
    }
  }

  private clearTimers(): void {
    if (this.reconnectTimer !== null) {
      clearTimeout(this.reconnectTimer);
      this.reconnectTimer = null;
    }
  }

  private setStatus(status: ConnectionStatus): void {
    if (status === this.status) {
      return;
    }
    this.status = status;
    this.options.onStatus?.(status);
  }
}
