import { describe, expect, it, vi } from 'vitest';
import { EventBus } from '../src/bus/event_bus';
import { routeServerMessage, type AppTopics } from '../src/bus/topics';
import type { CandleEvent } from '../src/net/protocol';

interface TestTopics {
  number: number;
  text: string;
}

describe('EventBus', () => {
  it('delivers a payload only to the handlers of its topic', () => {
    const bus = new EventBus<TestTopics>();
    const numbers: number[] = [];
    const texts: string[] = [];
    bus.on('number', (n) => numbers.push(n));
    bus.on('text', (t) => texts.push(t));
    bus.emit('number', 1);
    bus.emit('text', 'a');
    bus.emit('number', 2);
    expect(numbers).toEqual([1, 2]);
    expect(texts).toEqual(['a']);
  });

  it('stops delivering after unsubscribe', () => {
    const bus = new EventBus<TestTopics>();
    const seen: number[] = [];
    const off = bus.on('number', (n) => seen.push(n));
    bus.emit('number', 1);
    off();
    bus.emit('number', 2);
    expect(seen).toEqual([1]);
    expect(bus.listenerCount('number')).toBe(0);
  });

  it('keeps calling other handlers when one throws, and reports the error', () => {
    const report = vi.fn();
    const bus = new EventBus<TestTopics>(report);
    const seen: number[] = [];
    bus.on('number', () => {
      throw new Error('boom');
    });
    bus.on('number', (n) => seen.push(n));
    bus.emit('number', 5);
    expect(seen).toEqual([5]);
    expect(report).toHaveBeenCalledTimes(1);
    expect(report.mock.calls[0]?.[0]).toBe('number');
  });

  it('lets a handler unsubscribe itself during emit without skipping others', () => {
    const bus = new EventBus<TestTopics>();
    const seen: string[] = [];
    const off = bus.on('text', (t) => {
      seen.push(`first ${t}`);
      off();
    });
    bus.on('text', (t) => seen.push(`second ${t}`));
    bus.emit('text', 'x');
    bus.emit('text', 'y');
    expect(seen).toEqual(['first x', 'second x', 'second y']);
  });
});

describe('routeServerMessage', () => {
  const event = (seq: number, closed: boolean): CandleEvent => ({
    type: 'candle',
    symbol: 'ALFA',
    tf: '1s',
    closed,
    t: 100 + seq,
    o: 1,
    h: 1,
    l: 1,
    c: 1,
    v: 1,
    n: 1,
    seq,
  });

  it('splits a batch into candle events in order', () => {
    const bus = new EventBus<AppTopics>();
    const seqs: number[] = [];
    bus.on('candle', (e) => seqs.push(e.seq));
    routeServerMessage(bus, { type: 'batch', events: [event(1, true), event(2, false), event(3, true)], indicators: [], skipped: 0 });
    expect(seqs).toEqual([1, 2, 3]);
  });

  it('splits a batch into indicator events in order, after its candles', () => {
    const bus = new EventBus<AppTopics>();
    const seen: string[] = [];
    bus.on('candle', (e) => seen.push(`candle:${e.seq}`));
    bus.on('indicator', (e) => seen.push(`${e.type}:${e.seq}`));
    routeServerMessage(bus, {
      type: 'batch',
      events: [event(1, true)],
      indicators: [
        { type: 'intensity', symbol: 'ALFA', seq: 10, t_ms: 1, raw: 1, smoother: 'ema', value: 1 },
        { type: 'spike_start', symbol: 'ALFA', seq: 11, t_ms: 1, intensity: 1, z: 3, price: 1 },
      ],
      skipped: 0,
    });
    expect(seen).toEqual(['candle:1', 'intensity:10', 'spike_start:11']);
  });

  it('routes each message type to its topic', () => {
    const bus = new EventBus<AppTopics>();
    const topics: string[] = [];
    bus.on('hello', () => topics.push('hello'));
    bus.on('snapshot', () => topics.push('snapshot'));
    bus.on('stream_snapshot', (s) => topics.push(`stream_snapshot:${s.stream}`));
    bus.on('server_error', (e) => topics.push(`error:${e.message}`));
    bus.on('pong', (p) => topics.push(`pong:${String(p.id)}`));
    routeServerMessage(bus, { type: 'hello', version: 1, flush_ms: 100, symbols: [], timeframes: [] });
    routeServerMessage(bus, { type: 'snapshot', symbol: 'A', tf: '1s', candles: [], current: null });
    routeServerMessage(bus, { type: 'stream_snapshot', symbol: 'A', stream: 'reversals', events: [] });
    routeServerMessage(bus, { type: 'error', message: 'bad' });
    routeServerMessage(bus, { type: 'pong', id: 3 });
    expect(topics).toEqual(['hello', 'snapshot', 'stream_snapshot:reversals', 'error:bad', 'pong:3']);
  });
});
