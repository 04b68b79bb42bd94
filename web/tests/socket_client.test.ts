import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ServerMessage } from '../src/net/protocol';
import {
  MarketSocket,
  gatewaySocketUrl,
  groupChannels,
  type MarketSocketOptions,
  type ConnectionStatus,
  type SocketFactory,
  type SocketHandlers,
} from '../src/net/socket_client';
import { chartChannels } from '../src/ui/selection';

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
  version: 2,
  server_time_ms: 1,
  flush_ms: 100,
  symbols: [{ symbol: 'ALFA', tick_size: 0.01, decimals: 2 }],
  timeframes: ['1s'],
  streams: ['candles:1s', 'spikes'],
  limits: {},
});

function setup(options: { heartbeatMs?: number; resumeChannels?: MarketSocketOptions['resumeChannels'] } = {}) {
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
    ...(options.resumeChannels === undefined ? {} : { resumeChannels: options.resumeChannels }),
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

  it('sends subscriptions only once open, as lists with ids, then as they change', () => {
    const { client, latest, statuses } = setup();
    client.start();
    client.setSubscriptions([{ symbol: 'ALFA', stream: 'candles:1s' }]);
    expect(latest().url).toBe('ws://example.test/ws');
    expect(latest().sent).toEqual([]);
    latest().handlers.open();
    expect(latest().sent).toEqual([{ op: 'subscribe', id: 1, symbols: ['ALFA'], streams: ['candles:1s'] }]);
    client.setSubscriptions([{ symbol: 'BETA', stream: 'candles:10s', history: '10m' }]);
    expect(latest().sent.slice(1)).toEqual([
      { op: 'unsubscribe', id: 2, symbols: ['ALFA'], streams: ['candles:1s'] },
      { op: 'subscribe', id: 3, symbols: ['BETA'], streams: ['candles:10s'], history: '10m' },
    ]);
    expect(statuses).toEqual(['connecting', 'connected']);
  });

  it('setSubscriptions: one request for a chart, a symbol change unsubscribes every old channel first', () => {
    const { client, latest } = setup();
    client.start();
    latest().handlers.open();
    client.setSubscriptions(chartChannels('ALFA', '1s', 'ema'));
    expect(latest().sent).toEqual([
      { op: 'subscribe', id: 1, symbols: ['ALFA'], streams: ['candles:1s'], history: 600 },
      { op: 'subscribe', id: 2, symbols: ['ALFA'], streams: ['intensity:ema', 'buffer'], history: '5m' },
      { op: 'subscribe', id: 3, symbols: ['ALFA'], streams: ['spikes', 'reversals'], history: '1h' },
    ]);
    latest().sent.length = 0;
    client.setSubscriptions(chartChannels('BRVO', '1s', 'ema'));
    expect(latest().sent.map((m) => (m as { op: string }).op)).toEqual(['unsubscribe', 'subscribe', 'subscribe', 'subscribe']);
    expect(latest().sent[0]).toEqual({
      op: 'unsubscribe',
      id: 4,
      symbols: ['ALFA'],
      streams: ['candles:1s', 'intensity:ema', 'buffer', 'spikes', 'reversals'],
    });
  });

  it('setSubscriptions: a channel wanted with another history stays subscribed and is resubscribed with it', () => {
    const { client, latest } = setup();
    client.start();
    latest().handlers.open();
    client.setSubscriptions([{ symbol: 'ALFA', stream: 'intensity:ema', history: '1m' }]);
    latest().sent.length = 0;
    client.setSubscriptions([{ symbol: 'ALFA', stream: 'intensity:ema', history: '5m' }]);
    expect(latest().sent).toEqual([]);
    client.resubscribe({ symbol: 'ALFA', stream: 'intensity:ema' });
    expect(latest().sent).toEqual([{ op: 'subscribe', id: 2, symbols: ['ALFA'], streams: ['intensity:ema'], history: '5m' }]);
  });

  it('setSubscriptions: a timeframe change moves only the candles, a smoother change only intensity', () => {
    const { client, latest } = setup();
    client.start();
    latest().handlers.open();
    client.setSubscriptions(chartChannels('ALFA', '1s', 'ema'));
    latest().sent.length = 0;
    client.setSubscriptions(chartChannels('ALFA', '10s', 'ema'));
    expect(latest().sent).toEqual([
      { op: 'unsubscribe', id: 4, symbols: ['ALFA'], streams: ['candles:1s'] },
      { op: 'subscribe', id: 5, symbols: ['ALFA'], streams: ['candles:10s'], history: 3000 },
    ]);
    latest().sent.length = 0;
    client.setSubscriptions(chartChannels('ALFA', '10s', 'zlma'));
    expect(latest().sent).toEqual([
      { op: 'unsubscribe', id: 6, symbols: ['ALFA'], streams: ['intensity:ema'] },
      { op: 'subscribe', id: 7, symbols: ['ALFA'], streams: ['intensity:zlma'], history: '5m' },
    ]);
    latest().sent.length = 0;
    client.setSubscriptions(chartChannels('ALFA', '10s', 'zlma'));
    expect(latest().sent).toEqual([]);
  });

  it('groups symbols that want the same streams into one request', () => {
    expect(
      groupChannels([
        { symbol: 'A', stream: 'spikes' },
        { symbol: 'B', stream: 'spikes' },
        { symbol: 'A', stream: 'reversals' },
        { symbol: 'B', stream: 'reversals' },
        { symbol: 'C', stream: 'spikes' },
      ]),
    ).toEqual([
      { symbols: ['A', 'B'], streams: ['spikes', 'reversals'] },
      { symbols: ['C'], streams: ['spikes'] },
    ]);
    // Many channels are split so a request stays small.
    const many = Array.from({ length: 10 }, (_, i) => ({ symbol: `S${i}`, stream: 'spikes' }));
    expect(groupChannels(many, 4).map((g) => g.symbols.length)).toEqual([4, 4, 2]);
  });

  it('after a reconnect resumes event channels from their last seq and subscribes the rest', () => {
    const resumeFrom = new Map([
      ['ALFA candles:1s', 41],
      ['ALFA spikes', 7],
    ]);
    const { client, latest } = setup({
      resumeChannels: (subscribed) =>
        subscribed.flatMap((c) => {
          const seq = resumeFrom.get(`${c.symbol} ${c.stream}`);
          return seq === undefined ? [] : [{ symbol: c.symbol, stream: c.stream, seq }];
        }),
    });
    client.start();
    client.setSubscriptions(chartChannels('ALFA', '1s', 'ema'));
    latest().handlers.open();
    // The first connection has nothing to resume.
    expect(latest().sent.map((m) => (m as { op: string }).op)).toEqual(['subscribe', 'subscribe', 'subscribe']);
    latest().handlers.close(1006, '');
    vi.advanceTimersByTime(10_000);
    latest().handlers.open();
    const sent = latest().sent as { op: string; id: number }[];
    expect(sent[0]).toEqual({
      op: 'resume',
      id: sent[0]?.id,
      channels: [
        { symbol: 'ALFA', stream: 'candles:1s', seq: 41 },
        { symbol: 'ALFA', stream: 'spikes', seq: 7 },
      ],
    });
    expect(sent.slice(1).map((m) => [m.op, (m as unknown as { streams: string[] }).streams])).toEqual([
      ['subscribe', ['intensity:ema', 'buffer']],
      ['subscribe', ['reversals']],
    ]);
    // Ids keep growing across connections.
    const ids = sent.map((m) => m.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(client.connectionCount()).toBe(2);
  });

  it('subscribes afresh the channels of a resume the server refused', () => {
    const { client, latest } = setup({ resumeChannels: (subscribed) => subscribed.map((c) => ({ symbol: c.symbol, stream: c.stream, seq: 5 })) });
    client.start();
    client.setSubscriptions([{ symbol: 'ALFA', stream: 'spikes', history: '1h' }]);
    latest().handlers.open();
    latest().handlers.close(1006, '');
    vi.advanceTimersByTime(10_000);
    latest().handlers.open();
    const resume = latest().sent[0] as { op: string; id: number };
    expect(resume.op).toBe('resume');
    latest().handlers.message(JSON.stringify({ type: 'error', id: resume.id, code: 'bad_request', message: 'channels[0].seq' }));
    expect(latest().sent.at(-1)).toMatchObject({ op: 'subscribe', symbols: ['ALFA'], streams: ['spikes'], history: '1h' });
  });

  it('re-sends a channel on resubscribe and remembers which request an error answers', () => {
    const { client, latest, messages } = setup();
    client.start();
    latest().handlers.open();
    client.setSubscriptions([{ symbol: 'ALFA', stream: 'spikes', history: '1h' }]);
    client.resubscribe({ symbol: 'ALFA', stream: 'spikes' });
    client.resubscribe({ symbol: 'ALFA', stream: 'reversals' }); // not subscribed: nothing
    expect(latest().sent).toEqual([
      { op: 'subscribe', id: 1, symbols: ['ALFA'], streams: ['spikes'], history: '1h' },
      { op: 'subscribe', id: 2, symbols: ['ALFA'], streams: ['spikes'], history: '1h' },
    ]);
    expect(client.requestFor(2)).toMatchObject({ op: 'subscribe', id: 2 });
    latest().handlers.message(JSON.stringify({ type: 'error', id: 2, code: 'rate_limited', message: 'slow down' }));
    expect(messages.at(-1)).toMatchObject({ type: 'error', code: 'rate_limited' });
    expect(client.requestFor(2)).toBeUndefined();
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

  it('keeps the good entries of a batch with a bad one and reports the bad one', () => {
    const { client, latest, messages, malformed } = setup();
    client.start();
    latest().handlers.open();
    const good = { type: 'spike_start', symbol: 'ALFA', stream: 'spikes', seq: 1, tick_seq: 1, t_ms: 1, intensity: 1, z: 3, price: 1 };
    latest().handlers.message(JSON.stringify({ type: 'batch', t_send_ms: 1, events: [{ ...good, price: 'x' }, good] }));
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({ type: 'batch', events: [{ seq: 1 }] });
    expect(malformed).toHaveLength(1);
    expect(client.invalidEventCount()).toBe(1);
    expect(client.malformedCount()).toBe(0);
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
    latest().handlers.message(JSON.stringify({ type: 'pong', id: 1, server_time_ms: 5 }));
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

  it('settles stop() when the close has completed, or after its wait at most', async () => {
    const { client, latest } = setup();
    client.start();
    latest().handlers.open();
    let settled = false;
    void client.stop(1000).then(() => (settled = true));
    await vi.advanceTimersByTimeAsync(500);
    expect(settled).toBe(false); // the close frame is still on its way
    latest().handlers.close(1000, 'client stopped');
    await vi.advanceTimersByTimeAsync(0);
    expect(settled).toBe(true);
    // A close that never completes (a page leaving, a dead network) is waited for no longer.
    const second = setup();
    second.client.start();
    second.latest().handlers.open();
    let gaveUp = false;
    void second.client.stop(1000).then(() => (gaveUp = true));
    await vi.advanceTimersByTimeAsync(999);
    expect(gaveUp).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(gaveUp).toBe(true);
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
