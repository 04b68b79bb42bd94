import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ServerMessage } from '../src/net/protocol';
import {
  MarketSocket,
  gatewaySocketUrl,
  type ConnectionStatus,
  type SocketFactory,
  type SocketHandlers,
} from '../src/net/socket_client';
import { pageSubscriptions } from '../src/ui/selection';

/** A scripted stand-in for one browser WebSocket. */
class FakeSocket {
  readonly sent: unknown[] = [];
  closed: { code: number | undefined; reason: string | undefined } | null = null;
  constructor(
    readonly url: string,
    readonly handlers: SocketHandlers,
  ) {}
  send(data: string): void {
    this.sent.push(JSON.parse(data));
  }
  close(code?: number, reason?: string): void {
    this.closed = { code, reason };
  }
}

const hello = JSON.stringify({
  type: 'hello',
  version: 1,
  flush_ms: 100,
  symbols: [{ symbol: 'ALFA', tick_size: 0.01, decimals: 2 }],
  timeframes: ['1s'],
});

function setup(options: { heartbeatMs?: number } = {}) {
  const sockets: FakeSocket[] = [];
  const factory: SocketFactory = (url, handlers) => {
    const socket = new FakeSocket(url, handlers);
    sockets.push(socket);
    return socket;
  };
  const messages: ServerMessage[] = [];
  const statuses: ConnectionStatus[] = [];
  const malformed: string[] = [];
  const client = new MarketSocket({
    url: 'ws://example.test/ws',
    factory,
    random: () => 0, // lowest delay of each backoff step
    heartbeatMs: options.heartbeatMs ?? 0,
    onMessage: (m) => messages.push(m),
    onStatus: (s) => statuses.push(s),
    onMalformed: (reason) => malformed.push(reason),
  });
  const latest = (): FakeSocket => {
    const socket = sockets.at(-1);
    if (socket === undefined) {
      throw new Error('no socket yet');
    }
    return socket;
  };
  return { client, sockets, latest, messages, statuses, malformed };
}

describe('gatewaySocketUrl', () => {
  it('uses the page origin and /ws, wss for https', () => {
    expect(gatewaySocketUrl({ protocol: 'http:', host: '127.0.0.1:8080' })).toBe('ws://127.0.0.1:8080/ws');
    expect(gatewaySocketUrl({ protocol: 'https:', host: 'example.com' })).toBe('wss://example.com/ws');
  });
});

describe('MarketSocket', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('sends subscriptions only once open, then as they change', () => {
    const { client, latest, statuses } = setup();
    client.start();
    client.subscribe({ symbol: 'ALFA', tf: '1s' });
    expect(latest().url).toBe('ws://example.test/ws');
    expect(latest().sent).toEqual([]);
    latest().handlers.open();
    expect(latest().sent).toEqual([{ op: 'subscribe', symbol: 'ALFA', tf: '1s' }]);
    client.unsubscribe({ symbol: 'ALFA', tf: '1s' });
    client.subscribe({ symbol: 'BETA', tf: '10s' });
    expect(latest().sent.slice(1)).toEqual([
      { op: 'unsubscribe', symbol: 'ALFA', tf: '1s' },
      { op: 'subscribe', symbol: 'BETA', tf: '10s' },
    ]);
    expect(statuses).toEqual(['connecting', 'connected']);
  });

  it('reconnects after a close and re-sends the current subscriptions', () => {
    const { client, sockets, latest, statuses } = setup();
    client.start();
    latest().handlers.open();
    client.subscribe({ symbol: 'ALFA', tf: '1s' });
    client.subscribe({ symbol: 'BETA', tf: '1m' });
    client.unsubscribe({ symbol: 'ALFA', tf: '1s' });
    latest().handlers.close(1006, '');
    expect(statuses.at(-1)).toBe('reconnecting');
    expect(sockets).toHaveLength(1);
    vi.advanceTimersByTime(125); // first retry: base 250 ms, jittered down to half
    expect(sockets).toHaveLength(2);
    latest().handlers.open();
    expect(latest().sent).toEqual([{ op: 'subscribe', symbol: 'BETA', tf: '1m' }]);
    expect(statuses.at(-1)).toBe('connected');
  });

  it('re-subscribes intensity alone when only the smoother changes', () => {
    const { client, latest } = setup();
    client.start();
    latest().handlers.open();
    client.subscribe({ symbol: 'ALFA', stream: 'intensity', smoother: 'ema' });
    client.subscribe({ symbol: 'ALFA', stream: 'intensity', smoother: 'ema' }); // nothing new
    client.subscribe({ symbol: 'ALFA', stream: 'intensity', smoother: 'zlma' });
    expect(latest().sent).toEqual([
      { op: 'subscribe', symbol: 'ALFA', stream: 'intensity', smoother: 'ema' },
      { op: 'subscribe', symbol: 'ALFA', stream: 'intensity', smoother: 'zlma' },
    ]);
    expect(client.channels()).toEqual([{ symbol: 'ALFA', stream: 'intensity', smoother: 'zlma' }]);
    client.unsubscribe({ symbol: 'ALFA', stream: 'intensity' });
    expect(latest().sent.at(-1)).toEqual({ op: 'unsubscribe', symbol: 'ALFA', stream: 'intensity' });
  });

  it('setSubscriptions: a symbol change unsubscribes every old stream, then subscribes the new', () => {
    const { client, latest } = setup();
    client.start();
    latest().handlers.open();
    client.setSubscriptions(pageSubscriptions('ALFA', '1s', 'ema'));
    expect(latest().sent).toEqual([
      { op: 'subscribe', symbol: 'ALFA', tf: '1s' },
      { op: 'subscribe', symbol: 'ALFA', stream: 'intensity', smoother: 'ema' },
      { op: 'subscribe', symbol: 'ALFA', stream: 'buffer' },
      { op: 'subscribe', symbol: 'ALFA', stream: 'spikes' },
      { op: 'subscribe', symbol: 'ALFA', stream: 'reversals' },
    ]);
    latest().sent.length = 0;
    client.setSubscriptions(pageSubscriptions('BRVO', '1s', 'ema'));
    expect(latest().sent).toEqual([
      { op: 'unsubscribe', symbol: 'ALFA', tf: '1s' },
      { op: 'unsubscribe', symbol: 'ALFA', stream: 'intensity' },
      { op: 'unsubscribe', symbol: 'ALFA', stream: 'buffer' },
      { op: 'unsubscribe', symbol: 'ALFA', stream: 'spikes' },
      { op: 'unsubscribe', symbol: 'ALFA', stream: 'reversals' },
      { op: 'subscribe', symbol: 'BRVO', tf: '1s' },
      { op: 'subscribe', symbol: 'BRVO', stream: 'intensity', smoother: 'ema' },
      { op: 'subscribe', symbol: 'BRVO', stream: 'buffer' },
      { op: 'subscribe', symbol: 'BRVO', stream: 'spikes' },
      { op: 'subscribe', symbol: 'BRVO', stream: 'reversals' },
    ]);
  });

  it('setSubscriptions: a timeframe change moves only the candles, a smoother change only intensity', () => {
    const { client, latest } = setup();
    client.start();
    latest().handlers.open();
    client.setSubscriptions(pageSubscriptions('ALFA', '1s', 'ema'));
    latest().sent.length = 0;
    client.setSubscriptions(pageSubscriptions('ALFA', '10s', 'ema'));
    expect(latest().sent).toEqual([
      { op: 'unsubscribe', symbol: 'ALFA', tf: '1s' },
      { op: 'subscribe', symbol: 'ALFA', tf: '10s' },
    ]);
    latest().sent.length = 0;
    client.setSubscriptions(pageSubscriptions('ALFA', '10s', 'zlma'));
    expect(latest().sent).toEqual([{ op: 'subscribe', symbol: 'ALFA', stream: 'intensity', smoother: 'zlma' }]);
    latest().sent.length = 0;
    client.setSubscriptions(pageSubscriptions('ALFA', '10s', 'zlma'));
    expect(latest().sent).toEqual([]);
  });

  it('re-sends every stream with its current smoother after a reconnect', () => {
    const { client, latest } = setup();
    client.start();
    // Chosen before the first connection: nothing goes out until it opens.
    client.setSubscriptions(pageSubscriptions('ALFA', '1s', 'ema'));
    client.setSubscriptions(pageSubscriptions('ALFA', '1s', 'sma'));
    expect(latest().sent).toEqual([]);
    latest().handlers.open();
    expect(latest().sent).toHaveLength(5);
    client.setSubscriptions(pageSubscriptions('CHRL', '1m', 'zlma'));
    latest().handlers.close(1006, '');
    vi.advanceTimersByTime(10_000);
    latest().handlers.open();
    expect(latest().sent).toEqual([
      { op: 'subscribe', symbol: 'CHRL', tf: '1m' },
      { op: 'subscribe', symbol: 'CHRL', stream: 'intensity', smoother: 'zlma' },
      { op: 'subscribe', symbol: 'CHRL', stream: 'buffer' },
      { op: 'subscribe', symbol: 'CHRL', stream: 'spikes' },
      { op: 'subscribe', symbol: 'CHRL', stream: 'reversals' },
    ]);
  });

  it('backs off exponentially while the server stays away, capped at 10 s', () => {
    const { client, sockets, latest } = setup();
    client.start();
    const waits: number[] = [];
    for (let i = 0; i < 9; i += 1) {
      latest().handlers.close(1006, '');
      const before = sockets.length;
      let waited = 0;
      while (sockets.length === before) {
        vi.advanceTimersByTime(5);
        waited += 5;
      }
      waits.push(waited);
    }
    expect(waits).toEqual([125, 250, 500, 1000, 2000, 4000, 5000, 5000, 5000]);
  });

  it('resets the backoff once a server says hello', () => {
    const { client, sockets, latest } = setup();
    client.start();
    for (let i = 0; i < 4; i += 1) {
      latest().handlers.close(1006, '');
      vi.advanceTimersByTime(10_000);
    }
    latest().handlers.open();
    latest().handlers.message(hello);
    latest().handlers.close(1008, 'slow consumer');
    const before = sockets.length;
    vi.advanceTimersByTime(125);
    expect(sockets.length).toBe(before + 1);
  });

  it('passes parsed messages on and drops malformed frames without failing', () => {
    const { client, latest, messages, malformed } = setup();
    client.start();
    latest().handlers.open();
    latest().handlers.message('not json');
    latest().handlers.message(JSON.stringify({ type: 'snapshot', symbol: 'A' }));
    latest().handlers.message(hello);
    expect(messages.map((m) => m.type)).toEqual(['hello']);
    expect(malformed).toHaveLength(2);
    expect(client.malformedCount()).toBe(2);
  });

  it('ignores events of a socket it has given up on', () => {
    const { client, sockets, latest, messages } = setup();
    client.start();
    const first = latest();
    first.handlers.open();
    first.handlers.close(1006, '');
    vi.advanceTimersByTime(10_000);
    expect(sockets).toHaveLength(2);
    first.handlers.message(hello);
    first.handlers.close(1006, '');
    expect(messages).toEqual([]);
    expect(sockets).toHaveLength(2);
  });

  it('pings while connected and reconnects when the server goes silent', () => {
    const { client, sockets, latest } = setup({ heartbeatMs: 1_000 });
    client.start();
    latest().handlers.open();
    vi.advanceTimersByTime(1_000);
    expect(latest().sent).toEqual([{ op: 'ping', id: 1 }]);
    latest().handlers.message(JSON.stringify({ type: 'pong', id: 1 }));
    vi.advanceTimersByTime(1_000);
    expect(latest().sent).toEqual([
      { op: 'ping', id: 1 },
      { op: 'ping', id: 2 },
    ]);
    vi.advanceTimersByTime(3_000); // > 3 heartbeats without a frame
    expect(sockets[0]?.closed).not.toBeNull();
    vi.advanceTimersByTime(10_000);
    expect(sockets.length).toBeGreaterThan(1);
  });

  it('stops for good on stop()', () => {
    const { client, sockets, latest, statuses } = setup();
    client.start();
    latest().handlers.open();
    client.stop();
    expect(latest().closed?.code).toBe(1000);
    vi.advanceTimersByTime(60_000);
    expect(sockets).toHaveLength(1);
    expect(statuses.at(-1)).toBe('stopped');
  });
});
