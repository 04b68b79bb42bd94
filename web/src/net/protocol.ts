// Typed messages of the gateway's WebSocket protocol (docs/PROTOCOL.md) and the
// validating parser that turns raw frames into them. A frame that does not match the
// protocol is rejected with a reason; parsing never throws.

/** One instrument as announced by `hello`. */
export interface SymbolInfo {
  readonly symbol: string;
  readonly tick_size: number;
  readonly decimals: number;
}

/** An OHLCV candle; `t` is the bucket start in UTC seconds. */
export interface Candle {
  readonly t: number;
  readonly o: number;
  readonly h: number;
  readonly l: number;
  readonly c: number;
  readonly v: number;
  readonly n: number;
  readonly seq: number;
}

/** A subscription: the pair (symbol, timeframe). */
export interface Channel {
  readonly symbol: string;
  readonly tf: string;
}

export interface CandleEvent extends Candle, Channel {
  readonly type: 'candle';
  readonly closed: boolean;
}

export interface HelloMessage {
  readonly type: 'hello';
  readonly version: number;
  readonly flush_ms: number;
  readonly symbols: readonly SymbolInfo[];
  readonly timeframes: readonly string[];
}

export interface SnapshotMessage extends Channel {
  readonly type: 'snapshot';
  readonly candles: readonly Candle[];
  readonly current: Candle | null;
}

export interface BatchMessage {
  readonly type: 'batch';
  readonly events: readonly CandleEvent[];
  /** Events of a type this client does not know, left out of `events`. */
  readonly skipped: number;
}

export interface ErrorMessage {
  readonly type: 'error';
  readonly message: string;
}

export interface PongMessage {
  readonly type: 'pong';
  readonly id: number | string | null;
}

export type ServerMessage = HelloMessage | SnapshotMessage | BatchMessage | ErrorMessage | PongMessage;

export type ParseResult =
  | { readonly ok: true; readonly message: ServerMessage }
  | { readonly ok: false; readonly error: string };

export type ClientMessage =
  | { readonly op: 'subscribe'; readonly symbol: string; readonly tf: string }
  | { readonly op: 'unsubscribe'; readonly symbol: string; readonly tf: string }
  | { readonly op: 'ping'; readonly id: number };

export function encodeClientMessage(message: ClientMessage): string {
  return JSON.stringify(message);
}

/** Parses one WebSocket frame. Binary frames and anything off-protocol are rejected. */
export function parseServerFrame(data: unknown): ParseResult {
  if (typeof data !== 'string') {
    return fail('frame is not text');
  }
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch {
    return fail('frame is not valid JSON');
  }
  try {
    return { ok: true, message: readServerMessage(json) };
  } catch (e) {
    if (e instanceof ProtocolError) {
      return fail(e.message);
    }
    throw e;
  }
}

class ProtocolError extends Error {}

function fail(error: string): ParseResult {
  return { ok: false, error };
}

type JsonObject = { readonly [key: string]: unknown };

function readServerMessage(json: unknown): ServerMessage {
  const obj = object(json, 'frame');
  const type = string(obj['type'], 'type');
  switch (type) {
    case 'hello':
      return {
        type,
        version: integer(obj['version'], 'hello.version'),
        flush_ms: nonNegative(obj['flush_ms'], 'hello.flush_ms'),
        symbols: array(obj['symbols'], 'hello.symbols').map((s, i) => symbolInfo(s, `hello.symbols[${i}]`)),
        timeframes: array(obj['timeframes'], 'hello.timeframes').map((tf, i) => string(tf, `hello.timeframes[${i}]`)),
      };
    case 'snapshot':
      return {
        type,
        symbol: string(obj['symbol'], 'snapshot.symbol'),
        tf: string(obj['tf'], 'snapshot.tf'),
        candles: array(obj['candles'], 'snapshot.candles').map((c, i) => candle(c, `snapshot.candles[${i}]`)),
        current: obj['current'] === null ? null : candle(obj['current'], 'snapshot.current'),
      };
    case 'batch': {
      const events: CandleEvent[] = [];
      let skipped = 0;
      array(obj['events'], 'batch.events').forEach((e, i) => {
        const path = `batch.events[${i}]`;
        const event = object(e, path);
        if (string(event['type'], `${path}.type`) === 'candle') {
          events.push(candleEvent(event, path));
        } else {
          skipped += 1;
        }
      });
      return { type, events, skipped };
    }
    case 'error':
      return { type, message: string(obj['message'], 'error.message') };
    case 'pong': {
      const id = obj['id'];
      if (id === undefined || id === null) {
        return { type, id: null };
      }
      if (typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id))) {
        return { type, id };
      }
      throw new ProtocolError('pong.id: expected number or string');
    }
    default:
      throw new ProtocolError(`unknown message type '${type}'`);
  }
}

function symbolInfo(json: unknown, path: string): SymbolInfo {
  const obj = object(json, path);
  return {
    symbol: string(obj['symbol'], `${path}.symbol`),
    tick_size: positive(obj['tick_size'], `${path}.tick_size`),
    decimals: nonNegativeInteger(obj['decimals'], `${path}.decimals`),
  };
}

function candle(json: unknown, path: string): Candle {
  const obj = object(json, path);
  return candleFields(obj, path);
}

function candleFields(obj: JsonObject, path: string): Candle {
  return {
    t: nonNegativeInteger(obj['t'], `${path}.t`),
    o: finite(obj['o'], `${path}.o`),
    h: finite(obj['h'], `${path}.h`),
    l: finite(obj['l'], `${path}.l`),
    c: finite(obj['c'], `${path}.c`),
    v: nonNegative(obj['v'], `${path}.v`),
    n: nonNegativeInteger(obj['n'], `${path}.n`),
    seq: nonNegativeInteger(obj['seq'], `${path}.seq`),
  };
}

function candleEvent(obj: JsonObject, path: string): CandleEvent {
  return {
    type: 'candle',
    symbol: string(obj['symbol'], `${path}.symbol`),
    tf: string(obj['tf'], `${path}.tf`),
    closed: boolean(obj['closed'], `${path}.closed`),
    ...candleFields(obj, path),
  };
}

function object(value: unknown, path: string): JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ProtocolError(`${path}: expected object`);
  }
  return value as JsonObject;
}

function array(value: unknown, path: string): readonly unknown[] {
  if (!Array.isArray(value)) {
    throw new ProtocolError(`${path}: expected array`);
  }
  return value;
}

function string(value: unknown, path: string): string {
  if (typeof value !== 'string') {
    throw new ProtocolError(`${path}: expected string`);
  }
  return value;
}

function boolean(value: unknown, path: string): boolean {
  if (typeof value !== 'boolean') {
    throw new ProtocolError(`${path}: expected boolean`);
  }
  return value;
}

function finite(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ProtocolError(`${path}: expected finite number`);
  }
  return value;
}

function nonNegative(value: unknown, path: string): number {
  const n = finite(value, path);
  if (n < 0) {
    throw new ProtocolError(`${path}: expected number >= 0`);
  }
  return n;
}

function positive(value: unknown, path: string): number {
  const n = finite(value, path);
  if (n <= 0) {
    throw new ProtocolError(`${path}: expected number > 0`);
  }
  return n;
}

function integer(value: unknown, path: string): number {
  const n = finite(value, path);
  if (!Number.isInteger(n)) {
    throw new ProtocolError(`${path}: expected integer`);
  }
  return n;
}

function nonNegativeInteger(value: unknown, path: string): number {
  const n = integer(value, path);
  if (n < 0) {
    throw new ProtocolError(`${path}: expected integer >= 0`);
  }
  return n;
}
