// The WebSocket connection to the gateway (protocol v2): connects, reconnects with
// backoff, keeps the set of subscribed channels and, on every new connection, resumes
// the event channels from their last seq and subscribes the rest; numbers every
// request; hands each parsed server message to its owner. The socket itself comes
// from a factory, so the logic runs without a browser in tests.
//
// With authentication on (`auth`), a token is fetched before each connection and sent as
// the first message (`auth` op), before any resume or subscribe; a refreshed token goes
// out on the open connection (`refreshAuth`). A close 4001 (token refused or expired)
// reconnects with a freshly refreshed token and resumes by seq; 4003 (no role to read)
// stops the client.

import { backoffDelay, kDefaultBackoff, type BackoffOptions } from './backoff';
import {
  encodeClientMessage,
  parseServerFrame,
  type Channel,
  type ClientRequest,
  type HistorySpec,
  type OkMessage,
  type ReplayAction,
  type RequestId,
  type ResumeChannel,
  type ServerMessage,
} from './protocol';
import { channelKey } from './subscriptions';

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
  /** After a reconnect: the event channels to resume and their last seqs. */
  readonly resumeChannels?: (subscribed: readonly Channel[]) => readonly ResumeChannel[];
  /** Channels per request (keeps requests under the server's 4 KiB message limit). */
  readonly maxChannelsPerRequest?: number;
  /** Authentication on: where tokens come from and who hears about the answers. */
  readonly auth?: SocketAuth;
}

/** WebSocket close codes of authentication (docs/PROTOCOL.md § Authentication). */
export const kCloseUnauthenticated = 4001;
export const kCloseForbidden = 4003;

export interface SocketAuth {
  /** A token for a new connection; `refused`: the server closed the last one with 4001, refresh first. */
  token(refused: boolean): Promise<string>;
  /** The server accepted a token (first or refreshed). */
  onAccepted?(auth: NonNullable<OkMessage['auth']>): void;
  /** Closed with 4003: the user may not read; the client has stopped. */
  onForbidden?(reason: string): void;
}

/** A channel the page wants, with how far back its snapshot should reach. */
export interface WantedChannel extends Channel {
  readonly history?: HistorySpec;
}

/**
 * Groups channels into as few subscribe/unsubscribe requests as the symbols × streams
 * form allows: channels of one history are grouped by symbol, and symbols asking for
 * the same streams share a request.
 */
export function groupChannels(
  channels: readonly WantedChannel[],
  maxChannels = 60,
): { readonly symbols: string[]; readonly streams: string[]; readonly history?: HistorySpec }[] {
  const byHistory = new Map<string, { history: HistorySpec | undefined; bySymbol: Map<string, string[]> }>();
  for (const c of channels) {
    const hKey = c.history === undefined ? '' : `${typeof c.history}:${String(c.history)}`;
    let group = byHistory.get(hKey);
    if (group === undefined) {
      group = { history: c.history, bySymbol: new Map() };
      byHistory.set(hKey, group);
    }
    const streams = group.bySymbol.get(c.symbol) ?? [];
    if (!streams.includes(c.stream)) {
      streams.push(c.stream);
    }
    group.bySymbol.set(c.symbol, streams);
  }
  const out: { symbols: string[]; streams: string[]; history?: HistorySpec }[] = [];
  for (const { history, bySymbol } of byHistory.values()) {
    const byStreams = new Map<string, { symbols: string[]; streams: string[] }>();
    for (const [symbol, streams] of bySymbol) {
      const key = streams.join('\u0000');
      const entry = byStreams.get(key) ?? { symbols: [], streams };
      entry.symbols.push(symbol);
      byStreams.set(key, entry);
    }
    for (const { symbols, streams } of byStreams.values()) {
      const perRequest = Math.max(1, Math.floor(maxChannels / Math.max(1, streams.length)));
      for (let i = 0; i < symbols.length; i += perRequest) {
        const part = symbols.slice(i, i + perRequest);
        out.push(history === undefined ? { symbols: part, streams } : { symbols: part, streams, history });
      }
    }
  }
  return out;
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
  private readonly subscriptions = new Map<string, WantedChannel>();
  private readonly pending = new Map<RequestId, ClientRequest>();
  private socket: SocketHandle | null = null;
  /** Settles when the current socket's close event has come (whoever closed it). */
  private socketClosed: Promise<void> = Promise.resolve();
  private open = false;
  private generation = 0;
  private attempt = 0;
  private running = false;
  private connections = 0;
  private status: ConnectionStatus = 'stopped';
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private heartbeatTimer: ReturnType<typeof setInterval> | null = null;
  private lastFrameAt = 0;
  private nextId = 1;
  private malformedFrames = 0;
  private invalidEvents = 0;
  /** The token for the connection being opened (auth on). */
  private connectToken: string | null = null;
  private authRefused = false;
  private authSent = 0;
  private authAccepted = 0;
  private authRefusals = 0;

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

  /**
   * Closes the connection and stays closed. The promise settles once the socket's close has
   * completed (the server has the close frame: it forgets the session), or after `waitMs`:
   * logging out waits for it before it leaves the page, which would cut the close short.
   */
  stop(waitMs = 1000): Promise<void> {
    this.running = false;
    this.clearTimers();
    const closing = this.socket !== null ? this.socketClosed : Promise.resolve();
    this.dropSocket(1000, 'client stopped');
    this.setStatus('stopped');
    let timer: ReturnType<typeof setTimeout> | null = null;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, waitMs);
    });
    return Promise.race([closing, timeout]).finally(() => {
      if (timer !== null) {
        clearTimeout(timer);
      }
    });
  }

  /**
   * Makes `wanted` the whole set of channels: unsubscribes what is no longer wanted
   * (first, so the server stops sending it), then subscribes what is new. A channel
   * already subscribed is not sent again.
   */
  setSubscriptions(wanted: readonly WantedChannel[]): void {
    const keys = new Set(wanted.map(channelKey));
    const gone = [...this.subscriptions].filter(([key]) => !keys.has(key)).map(([, c]) => c);
    for (const channel of gone) {
      this.subscriptions.delete(channelKey(channel));
    }
    const added: WantedChannel[] = [];
    for (const channel of wanted) {
      const key = channelKey(channel);
      const known = this.subscriptions.get(key);
      if (known === undefined) {
        const copy = copyWanted(channel);
        this.subscriptions.set(key, copy);
        added.push(copy);
      } else if (known.history !== channel.history) {
        // Kept subscribed; the new history shapes the next snapshot (a resubscribe, a reconnect).
        this.subscriptions.set(key, copyWanted(channel));
      }
    }
    this.sendGroups('unsubscribe', gone);
    this.sendGroups('subscribe', added);
  }

  /** Subscribes a channel again (the server answers with a fresh, full snapshot). */
  resubscribe(channel: Channel): void {
    const known = this.subscriptions.get(channelKey(channel));
    if (known !== undefined) {
      this.sendGroups('subscribe', [known]);
    }
  }

  /** The current channels, in the order they were first made. */
  channels(): WantedChannel[] {
    return [...this.subscriptions.values()];
  }

  connectionStatus(): ConnectionStatus {
    return this.status;
  }

  /** Frames rejected by the parser since start. */
  malformedCount(): number {
    return this.malformedFrames;
  }

  /** Batch entries left out because they broke the contract. */
  invalidEventCount(): number {
    return this.invalidEvents;
  }

  /** Connections opened since start (1 + reconnects). */
  connectionCount(): number {
    return this.connections;
  }

  /**
   * Sends a `replay` request (status, pause, resume, speed) and returns its id; null
   * while disconnected. The answer is an `ok` with `replay`, or an error `not_replay`.
   */
  replay(action: ReplayAction, speed?: number): RequestId | null {
    if (!this.open) {
      return null;
    }
    const id = this.nextId++;
    this.send(speed === undefined ? { op: 'replay', id, action } : { op: 'replay', id, action, speed });
    return id;
  }

  /**
   * Sends a refreshed token on the open connection (`auth` op); the server answers `ok`
   * with the new expiry, subscriptions stay. False while disconnected (the next
   * connection fetches its own token).
   */
  refreshAuth(token: string): boolean {
    if (!this.open) {
      return false;
    }
    this.sendAuth(token);
    return true;
  }

  /** `auth` messages sent, accepted (`ok`), and connections closed with 4001. */
  authStats(): { readonly sent: number; readonly accepted: number; readonly refused: number } {
    return { sent: this.authSent, accepted: this.authAccepted, refused: this.authRefusals };
  }

  /** The request a reply's id answers, while it is outstanding. */
  requestFor(id: RequestId | null): ClientRequest | undefined {
    return id === null ? undefined : this.pending.get(id);
  }

  private connect(status: ConnectionStatus): void {
    this.setStatus(status);
    const auth = this.options.auth;
    if (auth === undefined) {
      this.openSocket();
      return;
    }
    // The token first, so that it goes out the moment the socket opens.
    const generation = ++this.generation;
    const refused = this.authRefused;
    auth.token(refused).then(
      (token) => {
        if (generation === this.generation && this.running) {
          this.authRefused = false;
          this.connectToken = token;
          this.openSocket();
        }
      },
      () => {
        if (generation === this.generation && this.running) {
          this.retryLater();
        }
      },
    );
  }

  private openSocket(): void {
    const generation = ++this.generation;
    // Handlers of a socket we have given up on must not touch the current one.
    const current = (): boolean => generation === this.generation;
    let closed = (): void => undefined;
    this.socketClosed = new Promise<void>((resolve) => {
      closed = resolve;
    });
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
      close: (code, reason) => {
        closed();
        if (current()) {
          this.onClose(code, reason);
        }
      },
    });
  }

  private onOpen(): void {
    this.open = true;
    this.connections += 1;
    this.lastFrameAt = Date.now();
    this.pending.clear();
    this.setStatus('connected');
    if (this.connectToken !== null) {
      // Nothing else is read by the server before this (docs/PROTOCOL.md § Authentication).
      this.sendAuth(this.connectToken);
      this.connectToken = null;
    }
    const all = [...this.subscriptions.values()];
    // Event channels we have seen continue from their last seq; the rest start afresh.
    const resume = this.connections > 1 ? (this.options.resumeChannels?.(all) ?? []) : [];
    const resumed = new Set(resume.map(channelKey));
    const limit = this.options.maxChannelsPerRequest ?? 60;
    for (let i = 0; i < resume.length; i += limit) {
      this.send({
        op: 'resume',
        id: this.nextId++,
        channels: resume.slice(i, i + limit).map((c) => ({ symbol: c.symbol, stream: c.stream, seq: c.seq })),
      });
    }
    this.sendGroups(
      'subscribe',
      all.filter((c) => !resumed.has(channelKey(c))),
    );
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
    const message = result.message;
    if (message.type === 'batch') {
      for (const reason of message.invalid) {
        this.invalidEvents += 1;
        this.options.onMalformed?.(reason);
      }
    }
    if (message.type === 'hello') {
      // Only a server that got as far as greeting us resets the backoff; one that
      // accepts and drops at once keeps backing off.
      this.attempt = 0;
    }
    this.options.onMessage(message);
    if (message.type === 'ok' && message.auth !== undefined) {
      this.authAccepted += 1;
      this.options.auth?.onAccepted?.(message.auth);
    }
    if ((message.type === 'ok' || message.type === 'error' || message.type === 'pong') && message.id !== null) {
      const request = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (message.type === 'error' && request?.op === 'resume') {
        // Nothing of a refused resume took effect: start those channels afresh.
        const wanted = request.channels
          .map((c) => this.subscriptions.get(channelKey(c)))
          .filter((c): c is WantedChannel => c !== undefined);
        this.sendGroups('subscribe', wanted);
      }
    }
  }

  private onClose(code = 1006, reason = ''): void {
    this.dropSocket();
    if (!this.running) {
      return;
    }
    if (this.options.auth !== undefined && code === kCloseForbidden) {
      void this.stop();
      this.options.auth.onForbidden?.(reason);
      return;
    }
    if (this.options.auth !== undefined && code === kCloseUnauthenticated) {
      // Refused or expired: the next connection refreshes its token first.
      this.authRefused = true;
      this.authRefusals += 1;
    }
    this.retryLater();
  }

  private retryLater(): void {
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
      this.send({ op: 'ping', id: this.nextId++ });
    }, every);
  }

  private sendGroups(op: 'subscribe' | 'unsubscribe', channels: readonly WantedChannel[]): void {
    if (channels.length === 0 || !this.open) {
      return;
    }
    // `history` only shapes snapshots: an unsubscribe needs one request, not one per history.
    const grouped = op === 'unsubscribe' ? channels.map((c) => ({ symbol: c.symbol, stream: c.stream })) : channels;
    for (const group of groupChannels(grouped, this.options.maxChannelsPerRequest ?? 60)) {
      const id = this.nextId++;
      if (op === 'subscribe' && group.history !== undefined) {
        this.send({ op, id, symbols: group.symbols, streams: group.streams, history: group.history });
      } else {
        this.send({ op, id, symbols: group.symbols, streams: group.streams });
      }
    }
  }

  private send(message: ClientRequest): void {
    if (this.open && this.socket !== null) {
      // The token stays out of what error logs may print.
      this.pending.set(message.id, message.op === 'auth' ? { ...message, token: '…' } : message);
      this.socket.send(encodeClientMessage(message));
    }
  }

  private sendAuth(token: string): void {
    this.authSent += 1;
    this.send({ op: 'auth', id: this.nextId++, token });
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

function copyWanted(channel: WantedChannel): WantedChannel {
  return channel.history === undefined
    ? { symbol: channel.symbol, stream: channel.stream }
    : { symbol: channel.symbol, stream: channel.stream, history: channel.history };
}
