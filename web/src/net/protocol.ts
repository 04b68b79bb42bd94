// Typed messages of the gateway's WebSocket protocol, version 2 (docs/PROTOCOL.md), and
// the validating parser that turns raw frames into them. A frame that does not match
// the protocol is rejected with a reason; parsing never throws. Message and event types
// this client does not know are ignored, as the protocol asks.

export const kProtocolVersion = 2;

/** One instrument as announced by `hello`. */
export interface SymbolInfo {
  readonly symbol: string;
  readonly tick_size: number;
  readonly decimals: number;
}

/** How the client wants its intensity smoothed (part of the stream name). */
export type Smoother = 'sma' | 'ema' | 'zlma';

export const kSmoothers: readonly Smoother[] = ['sma', 'ema', 'zlma'];

export function isSmoother(value: unknown): value is Smoother {
  return typeof value === 'string' && (kSmoothers as readonly string[]).includes(value);
}

/** A stream name, parsed: `candles:<tf>`, `ticks`, `intensity:<s>`, `buffer`, `spikes`, `reversals`. */
export type StreamId =
  | { readonly kind: 'candles'; readonly tf: string }
  | { readonly kind: 'intensity'; readonly smoother: Smoother }
  | { readonly kind: 'ticks' | 'buffer' | 'spikes' | 'reversals' };

export type StreamKind = StreamId['kind'];

export function parseStream(name: string): StreamId | null {
  if (name.startsWith('candles:')) {
    const tf = name.slice('candles:'.length);
    return /^\d+[smhdw]$/.test(tf) ? { kind: 'candles', tf } : null;
  }
  if (name.startsWith('intensity:')) {
    const s = name.slice('intensity:'.length);
    return isSmoother(s) ? { kind: 'intensity', smoother: s } : null;
  }
  if (name === 'ticks' || name === 'buffer' || name === 'spikes' || name === 'reversals') {
    return { kind: name };
  }
  return null;
}

export function streamName(id: StreamId): string {
  switch (id.kind) {
    case 'candles':
      return `candles:${id.tf}`;
    case 'intensity':
      return `intensity:${id.smoother}`;
    default:
      return id.kind;
  }
}

export const candlesStream = (tf: string): string => `candles:${tf}`;
export const intensityStream = (smoother: Smoother): string => `intensity:${smoother}`;

/** Event channels number their events; value channels (intensity, buffer) do not. */
export function isEventStream(stream: string): boolean {
  const id = parseStream(stream);
  return id !== null && (id.kind === 'candles' || id.kind === 'ticks' || id.kind === 'spikes' || id.kind === 'reversals');
}

/** A channel: the pair (symbol, stream). */
export interface Channel {
  readonly symbol: string;
  readonly stream: string;
}

interface EventHead {
  readonly symbol: string;
  readonly stream: string;
}

/** An OHLCV candle; `t` is the bucket start in UTC seconds, `seq` the bar number. */
export interface Candle {
  readonly t: number;
  readonly o: number;
  readonly h: number;
  readonly l: number;
  readonly c: number;
  readonly v: number;
  readonly n: number;
  readonly seq: number;
  /** ZLMA(20) of bar volume (closed candles, once ready). */
  readonly vol_zlma?: number;
  /** Smoothed bar intensity (closed candles, once ready). */
  readonly bar_intensity?: number;
}

export interface CandleEvent extends Candle, EventHead {
  readonly type: 'candle';
  /** From the stream name `candles:<tf>`. */
  readonly tf: string;
  readonly closed: boolean;
  /** A closed candle sent again after a trade correction: same seq, new values. */
  readonly revised?: boolean;
}

export interface TickEvent extends EventHead {
  readonly type: 'tick';
  readonly seq: number;
  readonly tick_seq: number;
  readonly t_ms: number;
  readonly price: number;
  readonly size: number;
  readonly bid: number | null;
  readonly ask: number | null;
}

export interface IntensityEvent extends EventHead {
  readonly type: 'intensity';
  /** From the stream name `intensity:<s>`. */
  readonly smoother: Smoother;
  readonly tick_seq: number;
  readonly t_ms: number;
  readonly raw: number | null;
  /** null while the smoother warms up. */
  readonly value: number | null;
}

export type BufferZone = 'high' | 'neutral' | 'low' | 'not_ready';

export interface BufferEvent extends EventHead {
  readonly type: 'buffer';
  readonly tick_seq: number;
  readonly t_ms: number;
  readonly s: number | null;
  readonly upper: number | null;
  readonly baseline: number | null;
  readonly lower: number | null;
  readonly zone: BufferZone;
}

export interface SpikeStartEvent extends EventHead {
  readonly type: 'spike_start';
  readonly seq: number;
  readonly tick_seq: number;
  readonly t_ms: number;
  readonly intensity: number;
  readonly z: number;
  readonly price: number;
}

export interface SpikeEndEvent extends EventHead {
  readonly type: 'spike_end';
  readonly seq: number;
  readonly tick_seq: number;
  readonly t_ms: number;
  readonly t_start_ms: number;
  readonly t_peak_ms: number;
  readonly t_end_ms: number;
  readonly peak_intensity: number;
  readonly peak_z: number;
  readonly ticks: number;
  readonly price_start: number;
  readonly price_end: number;
}

export interface ReversalEvent extends EventHead {
  readonly type: 'reversal';
  readonly seq: number;
  readonly tick_seq: number;
  readonly t_ms: number;
  readonly version: number;
  /** +1 bullish (BUY), -1 bearish (SELL). */
  readonly direction: 1 | -1;
  readonly price: number;
  readonly reason: string;
  readonly strength: number;
}

/** The downsampled intensity history (snapshots, REST): one row per 100 ms bucket. */
export interface IntensitySampleEvent extends EventHead {
  readonly type: 'intensity_sample';
  /** From the stream name, when it names one (REST rows use the server's default). */
  readonly smoother: Smoother | null;
  readonly seq: number;
  readonly t_ms: number;
  readonly raw: number | null;
  readonly raw_min: number | null;
  readonly raw_max: number | null;
  readonly value: number | null;
}

export interface BufferSampleEvent extends EventHead {
  readonly type: 'buffer_sample';
  readonly seq: number;
  readonly t_ms: number;
  readonly s: number | null;
  readonly upper: number | null;
  readonly baseline: number | null;
  readonly lower: number | null;
  readonly zone: BufferZone;
}

export type IndicatorEvent =
  | IntensityEvent
  | BufferEvent
  | SpikeStartEvent
  | SpikeEndEvent
  | ReversalEvent
  | IntensitySampleEvent
  | BufferSampleEvent;

export type MarketEvent = CandleEvent | TickEvent | IndicatorEvent;

/** The `seq` of an event of an event channel; null for samples of value channels. */
export function eventSeq(event: MarketEvent): number | null {
  switch (event.type) {
    case 'candle':
      // A revised candle repeats a seq already seen: it is no gap and no duplicate.
      return event.closed && event.revised !== true ? event.seq : null;
    case 'tick':
    case 'spike_start':
    case 'spike_end':
    case 'reversal':
      return event.seq;
    default:
      return null;
  }
}

export interface Limits {
  readonly max_message_bytes: number;
  readonly max_subscriptions: number;
  readonly requests_per_s: number;
  readonly request_burst: number;
  readonly history_max_s: number;
  readonly snapshot_max_events: number;
  readonly high_water_bytes: number;
  readonly hard_limit_bytes: number;
  readonly grace_ms: number;
  readonly ping_interval_ms: number;
  readonly ping_timeout_ms: number;
}

export type RequestId = number | string;

export interface HelloMessage {
  readonly type: 'hello';
  readonly version: number;
  readonly server_time_ms: number;
  readonly flush_ms: number;
  readonly symbols: readonly SymbolInfo[];
  readonly timeframes: readonly string[];
  readonly streams: readonly string[];
  /** The limits in force; fields the server leaves out are absent. */
  readonly limits: Partial<Limits>;
}

export interface OkMessage {
  readonly type: 'ok';
  readonly id: RequestId | null;
  readonly op: string;
  readonly channels: number;
  /** The answer to a `replay` request: where the file replay stands. */
  readonly replay?: ReplayStatus;
  /** The answer to an `auth` request: who the session is, until when (UTC s), with which roles. */
  readonly auth?: { readonly sub: string; readonly exp: number; readonly roles: readonly string[] };
}

export interface ReplayStatus {
  readonly paused: boolean;
  readonly finished: boolean;
  /** 1 the recorded pace, 10 ten times faster. */
  readonly speed: number;
  /** The file's time now (UTC ms); 0 before its first tick. */
  readonly clock_ms: number;
}

export type ErrorCode =
  | 'bad_json'
  | 'too_deep'
  | 'bad_request'
  | 'unknown_op'
  | 'unknown_symbol'
  | 'unknown_stream'
  | 'bad_history'
  | 'too_many_subscriptions'
  | 'rate_limited'
  | 'not_replay'
  | 'forbidden';

export interface ErrorMessage {
  readonly type: 'error';
  readonly id: RequestId | null;
  /** One of ErrorCode; a later server may add codes, kept as they come. */
  readonly code: string;
  readonly message: string;
}

export interface SnapshotMessage extends Channel {
  readonly type: 'snapshot';
  readonly id: RequestId | null;
  readonly resume: boolean;
  readonly last_seq: number;
  /** Oldest first; events of a type this client does not know are left out. */
  readonly events: readonly MarketEvent[];
  /** The candle in progress or the latest value (candles, intensity, buffer). */
  readonly current: MarketEvent | null;
}

export interface BatchMessage {
  readonly type: 'batch';
  readonly t_send_ms: number;
  readonly events: readonly MarketEvent[];
  /** Events of a type this client does not know, left out of `events`. */
  readonly skipped: number;
  /**
   * Events that break the contract, left out with the reason: one bad entry does not
   * cost the whole batch (a closed candle left out shows as a seq hole and is refetched).
   */
  readonly invalid: readonly string[];
}

export type GapReason = 'overflow' | 'not_retained' | 'snapshot_limit' | 'store_behind' | 'revised';

export interface GapMessage extends Channel {
  readonly type: 'gap';
  readonly from: number;
  readonly to: number;
  /** A `GapReason` (docs/PROTOCOL.md § gap); a later server may add reasons. */
  readonly reason: string;
}

export interface LaggingMessage {
  readonly type: 'lagging';
  readonly queued_bytes: number;
  readonly high_water_bytes: number;
}

export interface CaughtUpMessage {
  readonly type: 'caught_up';
}

export interface PongMessage {
  readonly type: 'pong';
  readonly id: RequestId | null;
  readonly server_time_ms: number | null;
}

/** A message `type` this client does not know (ignored, not an error). */
export interface UnknownMessage {
  readonly type: 'unknown';
  readonly name: string;
}

export type ServerMessage =
  | HelloMessage
  | OkMessage
  | ErrorMessage
  | SnapshotMessage
  | BatchMessage
  | GapMessage
  | LaggingMessage
  | CaughtUpMessage
  | PongMessage
  | UnknownMessage;

export type ParseResult =
  | { readonly ok: true; readonly message: ServerMessage }
  | { readonly ok: false; readonly error: string };

// ---- client requests -------------------------------------------------------------

/** A snapshot's reach: seconds, or `<n>s|m|h|d`. */
export type HistorySpec = number | string;

export interface SubscribeRequest {
  readonly op: 'subscribe';
  readonly id: RequestId;
  readonly symbols: readonly string[];
  readonly streams: readonly string[];
  readonly history?: HistorySpec;
}

export interface UnsubscribeRequest {
  readonly op: 'unsubscribe';
  readonly id: RequestId;
  readonly symbols: readonly string[];
  readonly streams: readonly string[];
}

export interface ResumeChannel extends Channel {
  readonly seq: number;
}

export interface ResumeRequest {
  readonly op: 'resume';
  readonly id: RequestId;
  readonly channels: readonly ResumeChannel[];
}

export interface PingRequest {
  readonly op: 'ping';
  readonly id: RequestId;
}

export type ReplayAction = 'status' | 'pause' | 'resume' | 'speed';

/** Steers a file replay (`serve --feed file`); answered by `ok` with `replay`, or `not_replay`. */
export interface ReplayRequest {
  readonly op: 'replay';
  readonly id: RequestId;
  readonly action: ReplayAction;
  readonly speed?: number;
}

/** Authenticates the session (the first message when auth is on) or refreshes its token. */
export interface AuthRequest {
  readonly op: 'auth';
  readonly id: RequestId;
  readonly token: string;
}

export type ClientRequest = SubscribeRequest | UnsubscribeRequest | ResumeRequest | PingRequest | ReplayRequest | AuthRequest;

export function encodeClientMessage(message: ClientRequest): string {
  return JSON.stringify(message);
}

/** Seconds in a history spec (`"10m"` = 600), or null if it is not one. */
export function historySeconds(spec: HistorySpec): number | null {
  if (typeof spec === 'number') {
    return Number.isFinite(spec) && spec >= 0 ? spec : null;
  }
  const match = /^(\d+)([smhd])$/.exec(spec);
  if (match === null) {
    return null;
  }
  const unit = { s: 1, m: 60, h: 3600, d: 86_400 }[match[2] as 's' | 'm' | 'h' | 'd'];
  return Number(match[1]) * unit;
}

// ---- parser ----------------------------------------------------------------------

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
  return parseServerJson(json);
}

/** Validates an already decoded JSON value as a server message. */
export function parseServerJson(json: unknown): ParseResult {
  try {
    return { ok: true, message: readServerMessage(json) };
  } catch (e) {
    if (e instanceof ProtocolError) {
      return fail(e.message);
    }
    throw e;
  }
}

/**
 * Validates one event object (a batch entry, a snapshot event, a REST row). Returns
 * null for an event type this client does not know; throws ProtocolError otherwise.
 */
export function parseEvent(json: unknown, path = 'event'): MarketEvent | null {
  const obj = object(json, path);
  return marketEvent(obj, path);
}

/** The outcome of `parseEvent` without exceptions. */
export function tryParseEvent(
  json: unknown,
  path = 'event',
): { readonly ok: true; readonly event: MarketEvent | null } | { readonly ok: false; readonly error: string } {
  try {
    return { ok: true, event: parseEvent(json, path) };
  } catch (e) {
    if (e instanceof ProtocolError) {
      return { ok: false, error: e.message };
    }
    throw e;
  }
}

export class ProtocolError extends Error {}

function fail(error: string): ParseResult {
  return { ok: false, error };
}

type JsonObject = { readonly [key: string]: unknown };

const kLimitKeys: readonly (keyof Limits)[] = [
  'max_message_bytes',
  'max_subscriptions',
  'requests_per_s',
  'request_burst',
  'history_max_s',
  'snapshot_max_events',
  'high_water_bytes',
  'hard_limit_bytes',
  'grace_ms',
  'ping_interval_ms',
  'ping_timeout_ms',
];

function readServerMessage(json: unknown): ServerMessage {
  const obj = object(json, 'frame');
  const type = string(obj['type'], 'type');
  switch (type) {
    case 'hello': {
      const version = integer(obj['version'], 'hello.version');
      if (version !== kProtocolVersion) {
        throw new ProtocolError(`hello.version: this client speaks version ${kProtocolVersion}, not ${version}`);
      }
      const limitsObj = obj['limits'] === undefined ? {} : object(obj['limits'], 'hello.limits');
      const limits: { -readonly [K in keyof Limits]?: number } = {};
      for (const key of kLimitKeys) {
        if (limitsObj[key] !== undefined) {
          limits[key] = nonNegative(limitsObj[key], `hello.limits.${key}`);
        }
      }
      return {
        type,
        version,
        server_time_ms: nonNegative(obj['server_time_ms'], 'hello.server_time_ms'),
        flush_ms: nonNegative(obj['flush_ms'], 'hello.flush_ms'),
        symbols: array(obj['symbols'], 'hello.symbols').map((s, i) => symbolInfo(s, `hello.symbols[${i}]`)),
        timeframes: array(obj['timeframes'], 'hello.timeframes').map((tf, i) => string(tf, `hello.timeframes[${i}]`)),
        streams: array(obj['streams'], 'hello.streams').map((s, i) => string(s, `hello.streams[${i}]`)),
        limits,
      };
    }
    case 'ok':
      return {
        type,
        id: requestId(obj['id'], 'ok.id'),
        op: string(obj['op'], 'ok.op'),
        channels: obj['channels'] === undefined ? 0 : nonNegativeInteger(obj['channels'], 'ok.channels'),
        ...(obj['replay'] === undefined ? {} : { replay: replayStatus(obj['replay']) }),
        ...(obj['op'] === 'auth' && obj['sub'] !== undefined
          ? {
              auth: {
                sub: string(obj['sub'], 'ok.sub'),
                exp: nonNegative(obj['exp'], 'ok.exp'),
                roles: obj['roles'] === undefined ? [] : array(obj['roles'], 'ok.roles').map((r, i) => string(r, `ok.roles[${i}]`)),
              },
            }
          : {}),
      };
    case 'error':
      return {
        type,
        id: requestId(obj['id'], 'error.id'),
        code: string(obj['code'], 'error.code'),
        message: string(obj['message'], 'error.message'),
      };
    case 'snapshot':
      return snapshot(obj);
    case 'batch': {
      const events: MarketEvent[] = [];
      const invalid: string[] = [];
      let skipped = 0;
      const tSend = nonNegative(obj['t_send_ms'], 'batch.t_send_ms');
      array(obj['events'], 'batch.events').forEach((e, i) => {
        const parsed = tryParseEvent(e, `batch.events[${i}]`);
        if (!parsed.ok) {
          invalid.push(parsed.error);
        } else if (parsed.event === null) {
          skipped += 1;
        } else {
          events.push(parsed.event);
        }
      });
      return { type, t_send_ms: tSend, events, skipped, invalid };
    }
    case 'gap': {
      const from = positiveInteger(obj['from'], 'gap.from');
      const to = positiveInteger(obj['to'], 'gap.to');
      if (to < from) {
        throw new ProtocolError('gap.to: expected >= gap.from');
      }
      const stream = string(obj['stream'], 'gap.stream');
      if (!isEventStream(stream)) {
        throw new ProtocolError(`gap.stream: '${stream}' is not an event stream`);
      }
      return { type, symbol: string(obj['symbol'], 'gap.symbol'), stream, from, to, reason: string(obj['reason'], 'gap.reason') };
    }
    case 'lagging':
      return {
        type,
        queued_bytes: nonNegative(obj['queued_bytes'], 'lagging.queued_bytes'),
        high_water_bytes: nonNegative(obj['high_water_bytes'], 'lagging.high_water_bytes'),
      };
    case 'caught_up':
      return { type };
    case 'pong':
      return {
        type,
        id: requestId(obj['id'], 'pong.id'),
        server_time_ms: obj['server_time_ms'] === undefined ? null : nonNegative(obj['server_time_ms'], 'pong.server_time_ms'),
      };
    default:
      return { type: 'unknown', name: type };
  }
}

/** Which event types a stream may carry. */
function allowedTypes(stream: StreamId): readonly string[] {
  switch (stream.kind) {
    case 'candles':
      return ['candle'];
    case 'ticks':
      return ['tick'];
    case 'intensity':
      return ['intensity', 'intensity_sample'];
    case 'buffer':
      return ['buffer', 'buffer_sample'];
    case 'spikes':
      return ['spike_start', 'spike_end'];
    case 'reversals':
      return ['reversal'];
  }
}

function snapshot(obj: JsonObject): SnapshotMessage {
  const symbol = string(obj['symbol'], 'snapshot.symbol');
  const stream = string(obj['stream'], 'snapshot.stream');
  const id = parseStream(stream);
  if (id === null) {
    throw new ProtocolError(`snapshot.stream: unknown stream '${stream}'`);
  }
  const allowed = allowedTypes(id);
  const check = (event: MarketEvent, path: string): MarketEvent => {
    if (!allowed.includes(event.type) || event.symbol !== symbol || event.stream !== stream) {
      throw new ProtocolError(`${path}: a '${event.type}' event of ${event.symbol} ${event.stream} in the ${symbol} ${stream} snapshot`);
    }
    return event;
  };
  const events: MarketEvent[] = [];
  array(obj['events'] ?? [], 'snapshot.events').forEach((e, i) => {
    const path = `snapshot.events[${i}]`;
    const event = parseEvent(e, path);
    if (event !== null) {
      events.push(check(event, path));
    }
  });
  const rawCurrent = obj['current'];
  let current: MarketEvent | null = null;
  if (rawCurrent !== undefined && rawCurrent !== null) {
    const parsed = parseEvent(rawCurrent, 'snapshot.current');
    current = parsed === null ? null : check(parsed, 'snapshot.current');
  }
  const resume = obj['resume'];
  if (resume !== undefined && typeof resume !== 'boolean') {
    throw new ProtocolError('snapshot.resume: expected boolean');
  }
  return {
    type: 'snapshot',
    id: requestId(obj['id'], 'snapshot.id'),
    symbol,
    stream,
    resume: resume === true,
    last_seq: obj['last_seq'] === undefined || obj['last_seq'] === null ? 0 : nonNegativeInteger(obj['last_seq'], 'snapshot.last_seq'),
    events,
    current,
  };
}

function requestId(value: unknown, path: string): RequestId | null {
  if (value === undefined || value === null) {
    return null;
  }
  if (typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value))) {
    return value;
  }
  throw new ProtocolError(`${path}: expected number, string or null`);
}

function symbolInfo(json: unknown, path: string): SymbolInfo {
  const obj = object(json, path);
  return {
    symbol: string(obj['symbol'], `${path}.symbol`),
    tick_size: positive(obj['tick_size'], `${path}.tick_size`),
    decimals: nonNegativeInteger(obj['decimals'], `${path}.decimals`),
  };
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

/** A market event, or null for an event type this client does not know. */
function marketEvent(obj: JsonObject, path: string): MarketEvent | null {
  const type = string(obj['type'], `${path}.type`);
  const known = [
    'candle',
    'tick',
    'intensity',
    'buffer',
    'spike_start',
    'spike_end',
    'reversal',
    'intensity_sample',
    'buffer_sample',
  ];
  if (!known.includes(type)) {
    return null;
  }
  const symbol = string(obj['symbol'], `${path}.symbol`);
  const stream = string(obj['stream'], `${path}.stream`);
  const id = parseStream(stream);
  if (id === null) {
    throw new ProtocolError(`${path}.stream: unknown stream '${stream}'`);
  }
  if (!allowedTypes(id).includes(type)) {
    throw new ProtocolError(`${path}: a '${type}' event on stream '${stream}'`);
  }
  const head = { symbol, stream };
  const ms = (key: string): number => nonNegativeInteger(obj[key], `${path}.${key}`);
  const seq = (): number => positiveInteger(obj['seq'], `${path}.seq`);
  const tickSeq = (): number => nonNegativeInteger(obj['tick_seq'], `${path}.tick_seq`);
  const num = (key: string): number => finite(obj[key], `${path}.${key}`);
  const nullable = (key: string): number | null => nullableFinite(obj[key], `${path}.${key}`);
  switch (type) {
    case 'candle':
      return {
        type,
        ...head,
        tf: id.kind === 'candles' ? id.tf : '',
        closed: boolean(obj['closed'], `${path}.closed`),
        ...(obj['revised'] === true ? { revised: true } : {}),
        ...candleFields(obj, path),
      };
    case 'tick':
      return {
        type,
        ...head,
        seq: seq(),
        tick_seq: tickSeq(),
        t_ms: ms('t_ms'),
        price: num('price'),
        size: nonNegative(obj['size'], `${path}.size`),
        bid: nullable('bid'),
        ask: nullable('ask'),
      };
    case 'intensity':
      return {
        type,
        ...head,
        smoother: id.kind === 'intensity' ? id.smoother : 'ema',
        tick_seq: tickSeq(),
        t_ms: ms('t_ms'),
        raw: nullable('raw'),
        value: nullable('value'),
      };
    case 'buffer':
      return {
        type,
        ...head,
        tick_seq: tickSeq(),
        t_ms: ms('t_ms'),
        s: nullable('s'),
        upper: nullable('upper'),
        baseline: nullable('baseline'),
        lower: nullable('lower'),
        zone: zone(obj['zone'], `${path}.zone`),
      };
    case 'spike_start':
      return {
        type,
        ...head,
        seq: seq(),
        tick_seq: tickSeq(),
        t_ms: ms('t_ms'),
        intensity: num('intensity'),
        z: num('z'),
        price: num('price'),
      };
    case 'spike_end':
      return {
        type,
        ...head,
        seq: seq(),
        tick_seq: tickSeq(),
        t_ms: ms('t_ms'),
        t_start_ms: ms('t_start_ms'),
        t_peak_ms: ms('t_peak_ms'),
        t_end_ms: ms('t_end_ms'),
        peak_intensity: num('peak_intensity'),
        peak_z: num('peak_z'),
        ticks: nonNegativeInteger(obj['ticks'], `${path}.ticks`),
        price_start: num('price_start'),
        price_end: num('price_end'),
      };
    case 'reversal': {
      const direction = integer(obj['direction'], `${path}.direction`);
      if (direction !== 1 && direction !== -1) {
        throw new ProtocolError(`${path}.direction: expected 1 or -1`);
      }
      return {
        type,
        ...head,
        seq: seq(),
        tick_seq: tickSeq(),
        t_ms: ms('t_ms'),
        version: nonNegativeInteger(obj['version'], `${path}.version`),
        direction,
        price: num('price'),
        reason: string(obj['reason'], `${path}.reason`),
        strength: num('strength'),
      };
    }
    case 'intensity_sample':
      return {
        type,
        ...head,
        smoother: id.kind === 'intensity' ? id.smoother : null,
        seq: nonNegativeInteger(obj['seq'], `${path}.seq`),
        t_ms: ms('t_ms'),
        raw: nullable('raw'),
        raw_min: nullable('raw_min'),
        raw_max: nullable('raw_max'),
        value: nullable('value'),
      };
    case 'buffer_sample':
      return {
        type,
        ...head,
        seq: nonNegativeInteger(obj['seq'], `${path}.seq`),
        t_ms: ms('t_ms'),
        s: nullable('s'),
        upper: nullable('upper'),
        baseline: nullable('baseline'),
        lower: nullable('lower'),
        zone: zone(obj['zone'], `${path}.zone`),
      };
    default:
      return null;
  }
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

/** `null` stands for a value that is not finite or not ready (docs/PROTOCOL.md). */
function nullableFinite(value: unknown, path: string): number | null {
  if (value === null) {
    return null;
  }
  if (value === undefined) {
    throw new ProtocolError(`${path}: missing`);
  }
  return finite(value, path);
}

function replayStatus(value: unknown): ReplayStatus {
  const obj = object(value, 'ok.replay');
  return {
    paused: boolean(obj['paused'], 'ok.replay.paused'),
    finished: boolean(obj['finished'], 'ok.replay.finished'),
    speed: positive(obj['speed'], 'ok.replay.speed'),
    clock_ms: nonNegative(obj['clock_ms'], 'ok.replay.clock_ms'),
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

function positiveInteger(value: unknown, path: string): number {
  const n = integer(value, path);
  if (n < 1) {
    throw new ProtocolError(`${path}: expected integer >= 1`);
  }
  return n;
}
