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
  /** ZLMA(20) of bar volume (closed candles, once ready; snapshots carry its history). */
  readonly vol_zlma?: number;
  /** Smoothed bar intensity (closed candles, once ready). */
  readonly bar_intensity?: number;
}

/** A candle subscription: the pair (symbol, timeframe). */
export interface Channel {
  readonly symbol: string;
  readonly tf: string;
}

export interface CandleEvent extends Candle, Channel {
  readonly type: 'candle';
  readonly closed: boolean;
}

/** The indicator streams of a symbol (docs/PROTOCOL.md, docs/INDICATORS.md). */
export type IndicatorStream = 'intensity' | 'buffer' | 'spikes' | 'reversals';

export const kIndicatorStreams: readonly IndicatorStream[] = ['intensity', 'buffer', 'spikes', 'reversals'];

/** How the client wants its `intensity` smoothed (chosen per subscription). */
export type Smoother = 'sma' | 'ema' | 'zlma';

export const kSmoothers: readonly Smoother[] = ['sma', 'ema', 'zlma'];

export function isSmoother(value: unknown): value is Smoother {
  return typeof value === 'string' && (kSmoothers as readonly string[]).includes(value);
}

/** An indicator subscription: (symbol, stream); `smoother` only for `intensity`. */
export interface StreamChannel {
  readonly symbol: string;
  readonly stream: IndicatorStream;
  readonly smoother?: Smoother;
}

/** Anything the client can subscribe to. */
export type Subscription = Channel | StreamChannel;

export function isStreamChannel(subscription: Subscription): subscription is StreamChannel {
  return 'stream' in subscription;
}

export type BufferZone = 'high' | 'neutral' | 'low' | 'not_ready';

interface IndicatorHead {
  readonly symbol: string;
  /** The symbol's tick sequence number of the tick that produced the event. */
  readonly seq: number;
}

export interface IntensityEvent extends IndicatorHead {
  readonly type: 'intensity';
  readonly t_ms: number;
  readonly raw: number;
  readonly smoother: Smoother;
  /** null while the chosen smoother warms up. */
  readonly value: number | null;
}

export interface BufferEvent extends IndicatorHead {
  readonly type: 'buffer';
  readonly t_ms: number;
  readonly s: number;
  readonly upper: number;
  readonly baseline: number;
  readonly lower: number;
  readonly zone: BufferZone;
}

export interface SpikeStartEvent extends IndicatorHead {
  readonly type: 'spike_start';
  readonly t_ms: number;
  readonly intensity: number;
  readonly z: number;
  readonly price: number;
}

export interface SpikeEndEvent extends IndicatorHead {
  readonly type: 'spike_end';
  readonly t_start_ms: number;
  readonly t_peak_ms: number;
  readonly t_end_ms: number;
  readonly peak_intensity: number;
  readonly peak_z: number;
  readonly ticks: number;
  readonly price_start: number;
  readonly price_end: number;
}

export interface ReversalEvent extends IndicatorHead {
  readonly type: 'reversal';
  readonly t_ms: number;
  readonly version: number;
  /** +1 bullish (BUY), -1 bearish (SELL). */
  readonly direction: 1 | -1;
  readonly price: number;
  readonly reason: string;
  readonly strength: number;
}

export type IndicatorEvent = IntensityEvent | BufferEvent | SpikeStartEvent | SpikeEndEvent | ReversalEvent;

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

/**
 * The answer to subscribing to an indicator stream. On the wire it is a `snapshot` with
 * a `stream` field; the parser gives it its own type so the two kinds never mix.
 */
export interface StreamSnapshotMessage {
  readonly type: 'stream_snapshot';
  readonly symbol: string;
  readonly stream: IndicatorStream;
  /** Only for `intensity`: the smoother the events carry. */
  readonly smoother?: Smoother;
  readonly events: readonly IndicatorEvent[];
}

export interface BatchMessage {
  readonly type: 'batch';
  readonly events: readonly CandleEvent[];
  /** The batch's indicator events, in order. */
  readonly indicators: readonly IndicatorEvent[];
  /** Events of a type this client does not know, left out of `events` and `indicators`. */
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

export type ServerMessage =
  | HelloMessage
  | SnapshotMessage
  | StreamSnapshotMessage
  | BatchMessage
  | ErrorMessage
  | PongMessage;

export type ParseResult =
  | { readonly ok: true; readonly message: ServerMessage }
  | { readonly ok: false; readonly error: string };

export type ClientMessage =
  | { readonly op: 'subscribe'; readonly symbol: string; readonly tf: string }
  | { readonly op: 'unsubscribe'; readonly symbol: string; readonly tf: string }
  | { readonly op: 'subscribe'; readonly symbol: string; readonly stream: IndicatorStream; readonly smoother?: Smoother }
  | { readonly op: 'unsubscribe'; readonly symbol: string; readonly stream: IndicatorStream }
  | { readonly op: 'ping'; readonly id: number };

export function encodeClientMessage(message: ClientMessage): string {
  return JSON.stringify(message);
}

/** The `subscribe` op for a subscription (the smoother rides along for `intensity`). */
export function subscribeMessage(subscription: Subscription): ClientMessage {
  if (!isStreamChannel(subscription)) {
    return { op: 'subscribe', symbol: subscription.symbol, tf: subscription.tf };
  }
  if (subscription.stream === 'intensity' && subscription.smoother !== undefined) {
    return { op: 'subscribe', symbol: subscription.symbol, stream: subscription.stream, smoother: subscription.smoother };
  }
  return { op: 'subscribe', symbol: subscription.symbol, stream: subscription.stream };
}

export function unsubscribeMessage(subscription: Subscription): ClientMessage {
  return isStreamChannel(subscription)
    ? { op: 'unsubscribe', symbol: subscription.symbol, stream: subscription.stream }
    : { op: 'unsubscribe', symbol: subscription.symbol, tf: subscription.tf };
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
      if (obj['stream'] !== undefined) {
        return streamSnapshot(obj);
      }
      return {
        type,
        symbol: string(obj['symbol'], 'snapshot.symbol'),
        tf: string(obj['tf'], 'snapshot.tf'),
        candles: array(obj['candles'], 'snapshot.candles').map((c, i) => candle(c, `snapshot.candles[${i}]`)),
        current: obj['current'] === null ? null : candle(obj['current'], 'snapshot.current'),
      };
    case 'batch': {
      const events: CandleEvent[] = [];
      const indicators: IndicatorEvent[] = [];
      let skipped = 0;
      array(obj['events'], 'batch.events').forEach((e, i) => {
        const path = `batch.events[${i}]`;
        const event = object(e, path);
        const eventType = string(event['type'], `${path}.type`);
        if (eventType === 'candle') {
          events.push(candleEvent(event, path));
          return;
        }
        const indicator = indicatorEvent(eventType, event, path);
        if (indicator === null) {
          skipped += 1;
        } else {
          indicators.push(indicator);
        }
      });
      return { type, events, indicators, skipped };
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
  const volZlma = optionalFinite(obj['vol_zlma'], `${path}.vol_zlma`);
  const barIntensity = optionalFinite(obj['bar_intensity'], `${path}.bar_intensity`);
  return {
    t: nonNegativeInteger(obj['t'], `${path}.t`),
    o: finite(obj['o'], `${path}.o`),
    h: finite(obj['h'], `${path}.h`),
    l: finite(obj['l'], `${path}.l`),
    c: finite(obj['c'], `${path}.c`),
    v: nonNegative(obj['v'], `${path}.v`),
    n: nonNegativeInteger(obj['n'], `${path}.n`),
    seq: nonNegativeInteger(obj['seq'], `${path}.seq`),
    ...(volZlma === undefined ? {} : { vol_zlma: volZlma }),
    ...(barIntensity === undefined ? {} : { bar_intensity: barIntensity }),
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

const kStreamEventTypes: Readonly<Record<IndicatorStream, readonly IndicatorEvent['type'][]>> = {
  intensity: ['intensity'],
  buffer: ['buffer'],
  spikes: ['spike_start', 'spike_end'],
  reversals: ['reversal'],
};

function streamSnapshot(obj: JsonObject): StreamSnapshotMessage {
  const symbol = string(obj['symbol'], 'snapshot.symbol');
  const streamName = string(obj['stream'], 'snapshot.stream');
  if (!(kIndicatorStreams as readonly string[]).includes(streamName)) {
    throw new ProtocolError(`snapshot.stream: unknown stream '${streamName}'`);
  }
  const stream = streamName as IndicatorStream;
  const events: IndicatorEvent[] = [];
  array(obj['events'], 'snapshot.events').forEach((e, i) => {
    const path = `snapshot.events[${i}]`;
    const event = object(e, path);
    const parsed = indicatorEvent(string(event['type'], `${path}.type`), event, path);
    // Unknown event types are skipped, as in batches; known ones must fit the stream.
    if (parsed === null) {
      return;
    }
    if (!kStreamEventTypes[stream].includes(parsed.type) || parsed.symbol !== symbol) {
      throw new ProtocolError(`${path}: a '${parsed.type}' event of ${parsed.symbol} in the ${symbol} ${stream} snapshot`);
    }
    events.push(parsed);
  });
  if (stream !== 'intensity' || obj['smoother'] === undefined) {
    return { type: 'stream_snapshot', symbol, stream, events };
  }
  return { type: 'stream_snapshot', symbol, stream, smoother: smoother(obj['smoother'], 'snapshot.smoother'), events };
}

/** An indicator event, or null for an event type this client does not know. */
function indicatorEvent(type: string, obj: JsonObject, path: string): IndicatorEvent | null {
  const head = (): IndicatorHead => ({
    symbol: string(obj['symbol'], `${path}.symbol`),
    seq: nonNegativeInteger(obj['seq'], `${path}.seq`),
  });
  const ms = (key: string): number => nonNegativeInteger(obj[key], `${path}.${key}`);
  switch (type) {
    case 'intensity':
      return {
        type,
        ...head(),
        t_ms: ms('t_ms'),
        raw: nonNegative(obj['raw'], `${path}.raw`),
        smoother: smoother(obj['smoother'], `${path}.smoother`),
        value: obj['value'] === null ? null : finite(obj['value'], `${path}.value`),
      };
    case 'buffer':
      return {
        type,
        ...head(),
        t_ms: ms('t_ms'),
        s: finite(obj['s'], `${path}.s`),
        upper: finite(obj['upper'], `${path}.upper`),
        baseline: finite(obj['baseline'], `${path}.baseline`),
        lower: finite(obj['lower'], `${path}.lower`),
        zone: zone(obj['zone'], `${path}.zone`),
      };
    case 'spike_start':
      return {
        type,
        ...head(),
        t_ms: ms('t_ms'),
        intensity: finite(obj['intensity'], `${path}.intensity`),
        z: finite(obj['z'], `${path}.z`),
        price: finite(obj['price'], `${path}.price`),
      };
    case 'spike_end':
      return {
        type,
        ...head(),
        t_start_ms: ms('t_start_ms'),
        t_peak_ms: ms('t_peak_ms'),
        t_end_ms: ms('t_end_ms'),
        peak_intensity: finite(obj['peak_intensity'], `${path}.peak_intensity`),
        peak_z: finite(obj['peak_z'], `${path}.peak_z`),
        ticks: nonNegativeInteger(obj['ticks'], `${path}.ticks`),
        price_start: finite(obj['price_start'], `${path}.price_start`),
        price_end: finite(obj['price_end'], `${path}.price_end`),
      };
    case 'reversal': {
      const direction = integer(obj['direction'], `${path}.direction`);
      if (direction !== 1 && direction !== -1) {
        throw new ProtocolError(`${path}.direction: expected 1 or -1`);
      }
      return {
        type,
        ...head(),
        t_ms: ms('t_ms'),
        version: nonNegativeInteger(obj['version'], `${path}.version`),
        direction,
        price: finite(obj['price'], `${path}.price`),
        reason: string(obj['reason'], `${path}.reason`),
        strength: finite(obj['strength'], `${path}.strength`),
      };
    }
    default:
      return null;
  }
}

function smoother(value: unknown, path: string): Smoother {
  if (!isSmoother(value)) {
    throw new ProtocolError(`${path}: expected one of ${kSmoothers.join(', ')}`);
  }
  return value;
}

function zone(value: unknown, path: string): BufferZone {
  if (value !== 'high' && value !== 'neutral' && value !== 'low' && value !== 'not_ready') {
    throw new ProtocolError(`${path}: expected high, neutral, low or not_ready`);
  }
  return value;
}

function optionalFinite(value: unknown, path: string): number | undefined {
  return value === undefined || value === null ? undefined : finite(value, path);
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
