import { describe, expect, it } from 'vitest';
import {
  encodeClientMessage,
  parseServerFrame,
  subscribeMessage,
  unsubscribeMessage,
  type ServerMessage,
} from '../src/net/protocol';

const candle = { t: 1767364200, o: 101.23, h: 101.3, l: 101.2, c: 101.25, v: 1200, n: 9, seq: 41 };

function parsed(frame: unknown): ServerMessage {
  const result = parseServerFrame(typeof frame === 'string' ? frame : JSON.stringify(frame));
  if (!result.ok) {
    throw new Error(`expected a valid frame, got: ${result.error}`);
  }
  return result.message;
}

function rejection(frame: unknown): string {
  const result = parseServerFrame(typeof frame === 'string' ? frame : JSON.stringify(frame));
  if (result.ok) {
    throw new Error(`expected a rejection, got ${result.message.type}`);
  }
  return result.error;
}

describe('parseServerFrame', () => {
  it('reads the hello of PROTOCOL.md', () => {
    const message = parsed({
      type: 'hello',
      version: 1,
      flush_ms: 100,
      symbols: [{ symbol: 'ALFA', tick_size: 0.01, decimals: 2 }],
      timeframes: ['1s', '10s', '1m', '5m', '15m', '1h', '1d'],
    });
    expect(message).toEqual({
      type: 'hello',
      version: 1,
      flush_ms: 100,
      symbols: [{ symbol: 'ALFA', tick_size: 0.01, decimals: 2 }],
      timeframes: ['1s', '10s', '1m', '5m', '15m', '1h', '1d'],
    });
  });

  it('keeps the volume line of snapshot candles', () => {
    const msg = parsed({
      type: 'snapshot',
      symbol: 'ALFA',
      tf: '1m',
      candles: [
        { t: 60, o: 1, h: 2, l: 0.5, c: 1.5, v: 100, n: 3, seq: 1 },
        { t: 120, o: 1, h: 2, l: 0.5, c: 1.5, v: 100, n: 3, seq: 2, vol_zlma: 1234.5 },
      ],
      current: null,
    });
    expect(msg.type === 'snapshot' && msg.candles[0]?.vol_zlma).toBeUndefined();
    expect(msg.type === 'snapshot' && msg.candles[1]?.vol_zlma).toBe(1234.5);
    expect(() => parsed({ type: 'snapshot', symbol: 'A', tf: '1m', current: null,
      candles: [{ t: 60, o: 1, h: 2, l: 0.5, c: 1.5, v: 100, n: 3, seq: 1, vol_zlma: 'x' }] })).toThrow();
  });

  it('reads a snapshot with and without a current candle', () => {
    const withCurrent = parsed({
      type: 'snapshot',
      symbol: 'ALFA',
      tf: '1m',
      candles: [candle],
      current: { ...candle, t: 1767364260, seq: 42 },
    });
    expect(withCurrent).toMatchObject({ type: 'snapshot', symbol: 'ALFA', tf: '1m', candles: [candle] });
    expect(withCurrent.type === 'snapshot' && withCurrent.current?.seq).toBe(42);

    const empty = parsed({ type: 'snapshot', symbol: 'ALFA', tf: '1m', candles: [], current: null });
    expect(empty).toEqual({ type: 'snapshot', symbol: 'ALFA', tf: '1m', candles: [], current: null });
  });

  it('reads a batch of closed and in-progress candles in order', () => {
    const message = parsed({
      type: 'batch',
      events: [
        { type: 'candle', symbol: 'ALFA', tf: '1m', closed: true, ...candle, seq: 42 },
        { type: 'candle', symbol: 'ALFA', tf: '1m', closed: false, ...candle, t: 1767364320, seq: 43 },
      ],
    });
    if (message.type !== 'batch') {
      throw new Error('not a batch');
    }
    expect(message.events.map((e) => [e.closed, e.seq, e.symbol, e.tf])).toEqual([
      [true, 42, 'ALFA', '1m'],
      [false, 43, 'ALFA', '1m'],
    ]);
    expect(message.skipped).toBe(0);
  });

  it('skips batch events of unknown type but keeps the candles', () => {
    const message = parsed({
      type: 'batch',
      events: [{ type: 'indicator', name: 'ema' }, { type: 'candle', symbol: 'B', tf: '1s', closed: false, ...candle }],
    });
    expect(message.type === 'batch' && [message.events.length, message.skipped]).toEqual([1, 1]);
  });

  it('reads vol_zlma and bar_intensity of closed candles when present', () => {
    const message = parsed({
      type: 'batch',
      events: [
        { type: 'candle', symbol: 'ALFA', tf: '1s', closed: true, ...candle, vol_zlma: 1187.5, bar_intensity: 1201.25 },
        { type: 'candle', symbol: 'ALFA', tf: '1s', closed: false, ...candle, seq: 42 },
      ],
    });
    if (message.type !== 'batch') {
      throw new Error('not a batch');
    }
    expect(message.events[0]).toMatchObject({ vol_zlma: 1187.5, bar_intensity: 1201.25 });
    expect('vol_zlma' in (message.events[1] ?? {})).toBe(false);
  });

  it('reads the indicator events of PROTOCOL.md in a batch, in order', () => {
    const events = [
      { type: 'intensity', symbol: 'ALFA', seq: 812, t_ms: 1767364261123, raw: 2300, smoother: 'ema', value: 1987.4 },
      { type: 'intensity', symbol: 'ALFA', seq: 813, t_ms: 1767364261124, raw: 2300, smoother: 'zlma', value: null },
      {
        type: 'buffer',
        symbol: 'ALFA',
        seq: 812,
        t_ms: 1767364261123,
        s: 1987.4,
        upper: 2400.1,
        baseline: 1800.2,
        lower: 1200.3,
        zone: 'neutral',
      },
      { type: 'spike_start', symbol: 'ALFA', seq: 900, t_ms: 1767364262000, intensity: 9100, z: 3.4, price: 101.25 },
      {
        type: 'spike_end',
        symbol: 'ALFA',
        seq: 931,
        t_start_ms: 1767364262000,
        t_peak_ms: 1767364262100,
        t_end_ms: 1767364262500,
        peak_intensity: 12000,
        peak_z: 5.1,
        ticks: 32,
        price_start: 101.25,
        price_end: 101.4,
      },
      {
        type: 'reversal',
        symbol: 'ALFA',
        seq: 955,
        t_ms: 1767364263000,
        version: 1,
        direction: -1,
        price: 101.38,
        reason: 'climax_fade',
        strength: 6,
      },
      { type: 'candle', symbol: 'ALFA', tf: '1s', closed: false, ...candle },
      { type: 'future_thing', symbol: 'ALFA' },
    ];
    const message = parsed({ type: 'batch', events });
    if (message.type !== 'batch') {
      throw new Error('not a batch');
    }
    expect(message.indicators).toEqual(events.slice(0, 6));
    expect(message.events).toHaveLength(1);
    expect(message.skipped).toBe(1);
  });

  it('reads indicator snapshots as stream_snapshot', () => {
    const intensity = parsed({
      type: 'snapshot',
      symbol: 'ALFA',
      stream: 'intensity',
      smoother: 'zlma',
      events: [{ type: 'intensity', symbol: 'ALFA', seq: 9, t_ms: 1767364261123, raw: 1, smoother: 'zlma', value: 2 }],
    });
    expect(intensity).toMatchObject({ type: 'stream_snapshot', symbol: 'ALFA', stream: 'intensity', smoother: 'zlma' });
    const reversals = parsed({ type: 'snapshot', symbol: 'ALFA', stream: 'reversals', events: [] });
    expect(reversals).toEqual({ type: 'stream_snapshot', symbol: 'ALFA', stream: 'reversals', events: [] });
  });

  it('reads error and pong', () => {
    expect(parsed({ type: 'error', message: "unknown symbol 'XYZ'" })).toEqual({
      type: 'error',
      message: "unknown symbol 'XYZ'",
    });
    expect(parsed({ type: 'pong', id: 7 })).toEqual({ type: 'pong', id: 7 });
    expect(parsed({ type: 'pong' })).toEqual({ type: 'pong', id: null });
  });

  it.each([
    ['binary data', new Uint8Array([1, 2])],
    ['a number', 42],
  ])('rejects a non-text frame (%s)', (_name, data) => {
    expect(parseServerFrame(data)).toEqual({ ok: false, error: 'frame is not text' });
  });

  it.each([
    ['invalid JSON', '{"type":"hello"', /not valid JSON/],
    ['a JSON array', '[1,2]', /frame: expected object/],
    ['JSON null', 'null', /frame: expected object/],
    ['no type', {}, /type: expected string/],
    ['an unknown type', { type: 'quote' }, /unknown message type 'quote'/],
    ['hello without symbols', { type: 'hello', version: 1, flush_ms: 100, timeframes: [] }, /hello.symbols/],
    [
      'hello with a bad timeframe',
      { type: 'hello', version: 1, flush_ms: 100, symbols: [], timeframes: ['1s', 5] },
      /hello.timeframes\[1\]/,
    ],
    [
      'snapshot with a string price',
      { type: 'snapshot', symbol: 'A', tf: '1s', candles: [{ ...candle, h: '101.3' }], current: null },
      /snapshot.candles\[0\].h: expected finite number/,
    ],
    [
      'snapshot with a fractional time',
      { type: 'snapshot', symbol: 'A', tf: '1s', candles: [{ ...candle, t: 1.5 }], current: null },
      /snapshot.candles\[0\].t: expected integer/,
    ],
    [
      'snapshot without current',
      { type: 'snapshot', symbol: 'A', tf: '1s', candles: [] },
      /snapshot.current: expected object/,
    ],
    [
      'batch candle without closed',
      { type: 'batch', events: [{ type: 'candle', symbol: 'A', tf: '1s', ...candle }] },
      /batch.events\[0\].closed: expected boolean/,
    ],
    [
      'batch candle with negative volume',
      { type: 'batch', events: [{ type: 'candle', symbol: 'A', tf: '1s', closed: true, ...candle, v: -1 }] },
      /batch.events\[0\].v/,
    ],
    ['batch without events', { type: 'batch' }, /batch.events: expected array/],
    ['error without message', { type: 'error' }, /error.message/],
    ['pong with an object id', { type: 'pong', id: {} }, /pong.id/],
    [
      'a snapshot of an unknown stream',
      { type: 'snapshot', symbol: 'A', stream: 'quotes', events: [] },
      /snapshot.stream: unknown stream 'quotes'/,
    ],
    [
      'a reversals snapshot holding an intensity event',
      {
        type: 'snapshot',
        symbol: 'A',
        stream: 'reversals',
        events: [{ type: 'intensity', symbol: 'A', seq: 1, t_ms: 1, raw: 1, smoother: 'ema', value: 1 }],
      },
      /snapshot.events\[0\]/,
    ],
    [
      'intensity with an unknown smoother',
      { type: 'batch', events: [{ type: 'intensity', symbol: 'A', seq: 1, t_ms: 1, raw: 1, smoother: 'wma', value: 1 }] },
      /batch.events\[0\].smoother/,
    ],
    [
      'a reversal with direction 0',
      {
        type: 'batch',
        events: [
          { type: 'reversal', symbol: 'A', seq: 1, t_ms: 1, version: 1, direction: 0, price: 1, reason: 'x', strength: 1 },
        ],
      },
      /direction: expected 1 or -1/,
    ],
    [
      'a buffer event with a string band',
      {
        type: 'batch',
        events: [{ type: 'buffer', symbol: 'A', seq: 1, t_ms: 1, s: 1, upper: '2', baseline: 1, lower: 0, zone: 'high' }],
      },
      /batch.events\[0\].upper/,
    ],
  ])('rejects %s', (_name, frame, reason) => {
    expect(rejection(frame)).toMatch(reason);
  });

  it('rejects NaN and infinite numbers written as huge literals', () => {
    expect(rejection(`{"type":"snapshot","symbol":"A","tf":"1s","candles":[],"current":{"t":1,"o":1e999,"h":1,"l":1,"c":1,"v":1,"n":1,"seq":1}}`)).toMatch(
      /current.o/,
    );
  });
});

describe('encodeClientMessage', () => {
  it('writes the client ops of PROTOCOL.md', () => {
    expect(JSON.parse(encodeClientMessage({ op: 'subscribe', symbol: 'ALFA', tf: '1m' }))).toEqual({
      op: 'subscribe',
      symbol: 'ALFA',
      tf: '1m',
    });
    expect(encodeClientMessage({ op: 'ping', id: 7 })).toBe('{"op":"ping","id":7}');
  });

  it('writes stream subscriptions, the smoother only for intensity', () => {
    const wire = (m: Parameters<typeof encodeClientMessage>[0]): unknown => JSON.parse(encodeClientMessage(m));
    expect(wire(subscribeMessage({ symbol: 'ALFA', stream: 'intensity', smoother: 'zlma' }))).toEqual({
      op: 'subscribe',
      symbol: 'ALFA',
      stream: 'intensity',
      smoother: 'zlma',
    });
    expect(wire(subscribeMessage({ symbol: 'ALFA', stream: 'reversals' }))).toEqual({
      op: 'subscribe',
      symbol: 'ALFA',
      stream: 'reversals',
    });
    expect(wire(subscribeMessage({ symbol: 'ALFA', tf: '1m' }))).toEqual({ op: 'subscribe', symbol: 'ALFA', tf: '1m' });
    expect(wire(unsubscribeMessage({ symbol: 'ALFA', stream: 'intensity', smoother: 'ema' }))).toEqual({
      op: 'unsubscribe',
      symbol: 'ALFA',
      stream: 'intensity',
    });
    expect(wire(unsubscribeMessage({ symbol: 'ALFA', tf: '1m' }))).toEqual({ op: 'unsubscribe', symbol: 'ALFA', tf: '1m' });
  });
});
