// The application's topics and the routing of server messages onto them: a snapshot
// becomes a candle or an indicator snapshot, a batch one event per entry, REST refills
// their own topics, so each consumer sees only what it draws.

import type { EventBus } from './event_bus';
import type { OpenHole } from '../net/channel_sync';
import type { ConnectionStatus } from '../net/socket_client';
import {
  parseStream,
  type Candle,
  type CandleEvent,
  type Channel,
  type ErrorMessage,
  type GapMessage,
  type HelloMessage,
  type IndicatorEvent,
  type LaggingMessage,
  type MarketEvent,
  type OkMessage,
  type PongMessage,
  type ServerMessage,
  type Smoother,
  type TickEvent,
} from '../net/protocol';

/** What a chart shows right now, published after every change. */
export interface ChartState {
  readonly chart: number;
  readonly symbol: string;
  readonly tf: string;
  readonly bars: number;
  readonly last: Candle | null;
  readonly gaps: number;
  readonly missed: number;
  /** Closed candles missing right now (0 once every hole is filled). */
  readonly missing: number;
}

/** The snapshot of a `candles:<tf>` channel. */
export interface CandleSnapshot {
  readonly symbol: string;
  readonly tf: string;
  readonly resume: boolean;
  readonly last_seq: number;
  /** Closed candles, oldest first. */
  readonly candles: readonly CandleEvent[];
  readonly current: CandleEvent | null;
}

export type IndicatorStreamKind = 'intensity' | 'buffer' | 'spikes' | 'reversals';

/** The snapshot of an indicator channel (intensity:<s>, buffer, spikes, reversals). */
export interface IndicatorSnapshot {
  readonly symbol: string;
  readonly kind: IndicatorStreamKind;
  /** Only for intensity. */
  readonly smoother: Smoother | null;
  readonly resume: boolean;
  readonly events: readonly IndicatorEvent[];
  readonly current: IndicatorEvent | null;
}

/** Closed candles fetched over REST to fill a hole. */
export interface CandleRefill {
  readonly symbol: string;
  readonly tf: string;
  readonly candles: readonly CandleEvent[];
}

export interface AppTopics {
  hello: HelloMessage;
  candle_snapshot: CandleSnapshot;
  candle: CandleEvent;
  candle_refill: CandleRefill;
  stream_snapshot: IndicatorSnapshot;
  indicator: IndicatorEvent;
  tick: TickEvent;
  gap: GapMessage;
  lagging: LaggingMessage | null;
  ok: OkMessage;
  server_error: ErrorMessage;
  pong: PongMessage;
  /** Server send time minus receive time of a batch, in ms (clock offset included). */
  batch_latency: number;
  status: ConnectionStatus;
  chart_state: ChartState;
  /** A frame's messages have all been applied: coalesced updates are drawn now. */
  frame_end: number;
  /** The holes of event channels not filled yet (ChannelSync.openHoles), after each change. */
  sync_holes: readonly OpenHole[];
}

export type AppBus = EventBus<AppTopics>;

function isIndicator(event: MarketEvent): event is IndicatorEvent {
  return event.type !== 'candle' && event.type !== 'tick';
}

function emitEvent(bus: AppBus, event: MarketEvent): void {
  if (event.type === 'candle') {
    bus.emit('candle', event);
  } else if (event.type === 'tick') {
    bus.emit('tick', event);
  } else {
    bus.emit('indicator', event);
  }
}

export function routeServerMessage(bus: AppBus, message: ServerMessage, receivedMs: number = Date.now()): void {
  switch (message.type) {
    case 'hello':
      bus.emit('hello', message);
      return;
    case 'snapshot': {
      const id = parseStream(message.stream);
      if (id === null) {
        return;
      }
      if (id.kind === 'candles') {
        const candles = message.events.filter((e): e is CandleEvent => e.type === 'candle' && e.closed);
        const current = message.current?.type === 'candle' ? message.current : null;
        bus.emit('candle_snapshot', {
          symbol: message.symbol,
          tf: id.tf,
          resume: message.resume,
          last_seq: message.last_seq,
          candles,
          current,
        });
        return;
      }
      if (id.kind === 'ticks') {
        for (const event of message.events) {
          emitEvent(bus, event);
        }
        return;
      }
      const current = message.current !== null && isIndicator(message.current) ? message.current : null;
      bus.emit('stream_snapshot', {
        symbol: message.symbol,
        kind: id.kind,
        smoother: id.kind === 'intensity' ? id.smoother : null,
        resume: message.resume,
        events: message.events.filter(isIndicator),
        current,
      });
      return;
    }
    case 'batch':
      bus.emit('batch_latency', receivedMs - message.t_send_ms);
      for (const event of message.events) {
        emitEvent(bus, event);
      }
      return;
    case 'gap':
      bus.emit('gap', message);
      return;
    case 'lagging':
      bus.emit('lagging', message);
      return;
    case 'caught_up':
      bus.emit('lagging', null);
      return;
    case 'ok':
      bus.emit('ok', message);
      return;
    case 'error':
      bus.emit('server_error', message);
      return;
    case 'pong':
      bus.emit('pong', message);
      return;
    case 'unknown':
      return;
  }
}

/** Events fetched over REST for a hole in `channel`. */
export function routeRefill(bus: AppBus, channel: Channel, events: readonly MarketEvent[]): void {
  const id = parseStream(channel.stream);
  if (id === null) {
    return;
  }
  if (id.kind === 'candles') {
    const candles = events.filter((e): e is CandleEvent => e.type === 'candle' && e.closed);
    bus.emit('candle_refill', { symbol: channel.symbol, tf: id.tf, candles });
    return;
  }
  for (const event of events) {
    emitEvent(bus, event);
  }
}
