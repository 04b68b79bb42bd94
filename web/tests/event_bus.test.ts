import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EventBus } from '../src/bus/event_bus';
import { FrameQueue } from '../src/bus/frame_queue';
import { routeRefill, routeServerMessage, type AppTopics } from '../src/bus/topics';
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
    stream: 'candles:1s',
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

  it('splits a batch into one event per entry, in order, on the topic of each kind', () => {
    const bus = new EventBus<AppTopics>();
    const seen: string[] = [];
    bus.on('candle', (e) => seen.push(`candle:${e.seq}`));
    bus.on('indicator', (e) => seen.push(e.type));
    bus.on('batch_latency', (ms) => seen.push(`latency:${ms}`));
    routeServerMessage(
      bus,
      {
        type: 'batch',
        t_send_ms: 1000,
        events: [
          event(1, true),
          { type: 'intensity', symbol: 'ALFA', stream: 'intensity:ema', tick_seq: 10, t_ms: 1, raw: 1, smoother: 'ema', value: 1 },
          event(2, false),
          { type: 'spike_start', symbol: 'ALFA', stream: 'spikes', seq: 1, tick_seq: 11, t_ms: 1, intensity: 1, z: 3, price: 1 },
        ],
        skipped: 0,
        invalid: [],
      },
      1040,
    );
    expect(seen).toEqual(['latency:40', 'candle:1', 'intensity', 'candle:2', 'spike_start']);
  });

  it('turns snapshots into candle or indicator snapshots by stream', () => {
    const bus = new EventBus<AppTopics>();
    const topics: string[] = [];
    bus.on('candle_snapshot', (s) => topics.push(`candles:${s.tf}:${s.candles.length}:${String(s.current?.seq)}:${String(s.resume)}`));
    bus.on('stream_snapshot', (s) => topics.push(`${s.kind}:${String(s.smoother)}:${s.events.length}`));
    const base = { type: 'snapshot' as const, id: 1, symbol: 'ALFA', resume: false, last_seq: 0 };
    routeServerMessage(bus, { ...base, stream: 'candles:1s', events: [event(1, true)], current: event(2, false), resume: true });
    routeServerMessage(bus, { ...base, stream: 'intensity:zlma', events: [], current: null });
    routeServerMessage(bus, { ...base, stream: 'reversals', events: [], current: null });
    expect(topics).toEqual(['candles:1s:1:2:true', 'intensity:zlma:0', 'reversals:null:0']);
  });

  it('routes each other message type to its topic and ignores unknown ones', () => {
    const bus = new EventBus<AppTopics>();
    const topics: string[] = [];
    bus.on('hello', () => topics.push('hello'));
    bus.on('ok', (m) => topics.push(`ok:${String(m.id)}`));
    bus.on('server_error', (e) => topics.push(`error:${e.code}`));
    bus.on('pong', (p) => topics.push(`pong:${String(p.id)}`));
    bus.on('gap', (g) => topics.push(`gap:${g.from}-${g.to}`));
    bus.on('lagging', (l) => topics.push(`lagging:${l === null ? 'no' : 'yes'}`));
    routeServerMessage(bus, { type: 'hello', version: 2, server_time_ms: 0, flush_ms: 100, symbols: [], timeframes: [], streams: [], limits: {} });
    routeServerMessage(bus, { type: 'ok', id: 1, op: 'subscribe', channels: 5 });
    routeServerMessage(bus, { type: 'error', id: 2, code: 'unknown_symbol', message: 'bad' });
    routeServerMessage(bus, { type: 'pong', id: 3, server_time_ms: 5 });
    routeServerMessage(bus, { type: 'gap', symbol: 'A', stream: 'spikes', from: 5, to: 9, reason: 'overflow' });
    routeServerMessage(bus, { type: 'lagging', queued_bytes: 2, high_water_bytes: 1 });
    routeServerMessage(bus, { type: 'caught_up' });
    routeServerMessage(bus, { type: 'unknown', name: 'future' });
    expect(topics).toEqual(['hello', 'ok:1', 'error:unknown_symbol', 'pong:3', 'gap:5-9', 'lagging:yes', 'lagging:no']);
  });

  it('sends refetched candles to candle_refill and other rows as events', () => {
    const bus = new EventBus<AppTopics>();
    const seen: string[] = [];
    bus.on('candle_refill', (r) => seen.push(`refill:${r.tf}:${r.candles.map((c) => c.seq).join(',')}`));
    bus.on('indicator', (e) => seen.push(e.type));
    routeRefill(bus, { symbol: 'ALFA', stream: 'candles:1s' }, [event(3, true), event(4, true)]);
    routeRefill(bus, { symbol: 'ALFA', stream: 'spikes' }, [
      { type: 'spike_start', symbol: 'ALFA', stream: 'spikes', seq: 1, tick_seq: 11, t_ms: 1, intensity: 1, z: 3, price: 1 },
    ]);
    expect(seen).toEqual(['refill:1s:3,4', 'spike_start']);
  });
});

describe('FrameQueue', () => {
  it('applies everything queued between two frames at once, in order', () => {
    const frames: Array<() => void> = [];
    const applied: number[] = [];
    const queue = new FrameQueue<number>({ apply: (n) => applied.push(n), schedule: (cb) => void frames.push(cb) });
    queue.push(1);
    queue.push(2);
    queue.push(3);
    expect(applied).toEqual([]);
    expect(frames).toHaveLength(1);
    frames[0]?.();
    expect(applied).toEqual([1, 2, 3]);
    expect(queue.flushes()).toBe(1);
    queue.push(4);
    expect(frames).toHaveLength(2);
    queue.flush();
    expect(applied).toEqual([1, 2, 3, 4]);
    frames[1]?.(); // a late frame with nothing queued does nothing
    expect(queue.flushes()).toBe(2);
  });

  it('ends each round with one afterFlush, after every item of it, and none for an empty frame', () => {
    const frames: Array<() => void> = [];
    const log: string[] = [];
    const queue = new FrameQueue<number>({
      apply: (n) => log.push(`apply ${n}`),
      afterFlush: () => log.push('end'),
      schedule: (cb) => void frames.push(cb),
    });
    queue.push(1);
    queue.push(2);
    frames[0]?.();
    frames[0]?.(); // nothing queued: no round, no end
    expect(log).toEqual(['apply 1', 'apply 2', 'end']);
  });

  it('leaves what is left after its budget to the next frame, in order, and measures a window apart from the first load', () => {
    const frames: Array<() => void> = [];
    let clock = 0;
    const applied: number[] = [];
    const ends: number[] = [];
    // Item n costs n ms; the budget is 12 ms.
    const queue = new FrameQueue<number>({
      apply: (n) => {
        applied.push(n);
        clock += n;
      },
      afterFlush: () => ends.push(applied.length),
      schedule: (cb) => void frames.push(cb),
      budgetMs: 12,
      now: () => clock,
    });
    for (const n of [5, 5, 5, 10, 1, 1]) {
      queue.push(n);
    }
    frames.shift()?.();
    expect(applied).toEqual([5, 5, 5]); // stopped at 15 ms >= 12
    expect(frames).toHaveLength(1); // the rest asked for the next frame
    queue.push(2); // arrives meanwhile: after what was left
    frames.shift()?.();
    expect(applied).toEqual([5, 5, 5, 10, 1, 1]);
    frames.shift()?.();
    expect(applied).toEqual([5, 5, 5, 10, 1, 1, 2]);
    expect(ends).toEqual([3, 6, 7]);
    expect(queue.timing()).toMatchObject({ maxFlushMs: 15, splitRounds: 2, window: { flushes: 3, maxFlushMs: 15 } });
    queue.startWindow();
    queue.push(3);
    frames.shift()?.();
    expect(queue.timing()).toMatchObject({ maxFlushMs: 15, window: { flushes: 1, maxFlushMs: 3 } });
  });

  describe('in a hidden tab (no frames, the timer flushes)', () => {
    beforeEach(() => vi.useFakeTimers());
    afterEach(() => vi.useRealTimers());

    it('keeps at most one frame request outstanding: the timer flush cancels it', () => {
      const outstanding = new Set<number>();
      let next = 0;
      const applied: number[] = [];
      const queue = new FrameQueue<number>({
        apply: (n) => applied.push(n),
        maxDelayMs: 250,
        schedule: () => {
          const id = (next += 1);
          outstanding.add(id);
          return () => outstanding.delete(id);
        },
      });
      for (let round = 0; round < 100; round += 1) {
        queue.push(round);
        expect(outstanding.size).toBe(1);
        vi.advanceTimersByTime(250);
        expect(outstanding.size).toBe(0);
      }
      expect(applied).toHaveLength(100);
      expect(queue.flushes()).toBe(100);
    });
  });
});
