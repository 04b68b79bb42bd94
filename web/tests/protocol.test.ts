import { describe, expect, it } from 'vitest';
import { encodeClientMessage, parseServerFrame, type ServerMessage } from '../src/net/protocol';

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
});
