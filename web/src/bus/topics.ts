// The application's topics and the routing of server messages onto them: a batch is
// split into one `candle` event per candle update and one `indicator` event per
// indicator event, so each consumer sees only what it draws.

import type { EventBus } from './event_bus';
import type { ConnectionStatus } from '../net/socket_client';
import type {
  Candle,
  CandleEvent,
  ErrorMessage,
  HelloMessage,
  IndicatorEvent,
  PongMessage,
  ServerMessage,
  SnapshotMessage,
  StreamSnapshotMessage,
} from '../net/protocol';

/** What a chart shows right now, published after every change. */
export interface ChartState {
  readonly symbol: string;
  readonly tf: string;
  readonly bars: number;
  readonly last: Candle | null;
  readonly gaps: number;
  readonly missed: number;
}

export interface AppTopics {
  hello: HelloMessage;
  snapshot: SnapshotMessage;
  candle: CandleEvent;
  stream_snapshot: StreamSnapshotMessage;
  indicator: IndicatorEvent;
  server_error: ErrorMessage;
  pong: PongMessage;
  status: ConnectionStatus;
  chart_state: ChartState;
}

export type AppBus = EventBus<AppTopics>;

export function routeServerMessage(bus: AppBus, message: ServerMessage): void {
  switch (message.type) {
    case 'hello':
      bus.emit('hello', message);
      return;
    case 'snapshot':
      bus.emit('snapshot', message);
      return;
    case 'stream_snapshot':
      bus.emit('stream_snapshot', message);
      return;
    case 'batch':
      for (const event of message.events) {
        bus.emit('candle', event);
      }
      for (const event of message.indicators) {
        bus.emit('indicator', event);
      }
      return;
    case 'error':
      bus.emit('server_error', message);
      return;
    case 'pong':
      bus.emit('pong', message);
      return;
  }
}
