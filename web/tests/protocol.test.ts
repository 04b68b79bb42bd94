import { describe, expect, it } from 'vitest';
import {
  encodeClientMessage,
  eventSeq,
  historySeconds,
  isEventStream,
  parseServerFrame,
  parseStream,
  streamName,
  type MarketEvent,
  type ServerMessage,
} from '../src/net/protocol';

function parse(json: unknown): ServerMessage {
  const result = parseServerFrame(JSON.stringify(json));
  if (!result.ok) {
    throw new Error(`rejected: ${result.error}`);
  }
  return result.message;
}

function rejects(json: unknown, pattern: RegExp): void {
  const result = parseServerFrame(JSON.stringify(json));
  expect(result.ok).toBe(false);
  if (!result.ok) {
    expect(result.error).toMatch(pattern);
  }
}

// The examples of docs/PROTOCOL.md, verbatim where the doc gives them.
const hello = {
  type: 'hello',
  version: 2,
  server_time_ms: 1767364261123,
  flush_ms: 100,
  symbols: [{ symbol: 'ALFA', tick_size: 0.01, decimals: 2 }],
  timeframes: ['1s', '10s', '1m', '5m', '15m', '1h', '1d'],
  streams: ['candles:1s', 'candles:10s', 'candles:1m', 'ticks', 'intensity:sma', 'intensity:ema', 'intensity:zlma', 'buffer', 'spikes', 'reversals'],
  limits: {
    max_message_bytes: 4096,
    max_subscriptions: 2000,
    requests_per_s: 20,
    request_burst: 40,
    history_max_s: 604800,
    snapshot_max_events: 5000,
    high_water_bytes: 1048576,
    hard_limit_bytes: 8388608,
    grace_ms: 5000,
    ping_interval_ms: 5000,
    ping_timeout_ms: 15000,
  },
};

const closed41 = {
  type: 'candle',
  symbol: 'ALFA',
  stream: 'candles:1m',
  closed: true,
  seq: 41,
  t: 1767364200,
  o: 101.23,
  h: 101.3,
  l: 101.2,
  c: 101.25,
  v: 1200,
  n: 9,
  vol_zlma: 1100.5,
  bar_intensity: 12.5,
};
const current43 = { type: 'candle', symbol: 'ALFA', stream: 'candles:1m', closed: false, seq: 43, t: 1767364260, o: 101.25, h: 101.25, l: 101.24, c: 101.24, v: 300, n: 2 };
const spikeStart = { type: 'spike_start', symbol: 'ALFA', stream: 'spikes', seq: 8, tick_seq: 9001, t_ms: 1767364261123, intensity: 9100, z: 3.4, price: 101.25 };
const spikeEnd = {
  type: 'spike_end',
  symbol: 'ALFA',
  stream: 'spikes',
  seq: 9,
  tick_seq: 9050,
  t_ms: 1767364262000,
  t_start_ms: 1767364261123,
  t_peak_ms: 1767364261500,
  t_end_ms: 1767364262000,
  peak_intensity: 12000,
  peak_z: 5.1,
  ticks: 32,
  price_start: 101.25,
  price_end: 101.4,
};
const reversal = { type: 'reversal', symbol: 'ALFA', stream: 'reversals', seq: 3, tick_seq: 9100, t_ms: 1767364262100, version: 2, direction: -1, price: 101.38, reason: 'extreme_retrace', strength: 6 };
const tick = { type: 'tick', symbol: 'ALFA', stream: 'ticks', seq: 77, tick_seq: 9001, t_ms: 1767364261123, price: 101.25, size: 3, bid: 101.24, ask: null };
const intensity = { type: 'intensity', symbol: 'ALFA', stream: 'intensity:zlma', tick_seq: 9001, t_ms: 1767364261123, raw: 2300, value: null };
const buffer = { type: 'buffer', symbol: 'ALFA', stream: 'buffer', tick_seq: 9001, t_ms: 1767364261123, s: 2300, upper: 2500, baseline: 2000, lower: 1500, zone: 'neutral' };
const intensitySample = { type: 'intensity_sample', symbol: 'ALFA', stream: 'intensity:ema', seq: 12, t_ms: 1767364261100, raw: 2300, raw_min: 2000, raw_max: 2600, value: 2250.5 };
const bufferSample = { type: 'buffer_sample', symbol: 'ALFA', stream: 'buffer', seq: 12, t_ms: 1767364261100, s: null, upper: null, baseline: null, lower: null, zone: 'not_ready' };

describe('parseServerFrame: accepts every v2 message', () => {
  it('hello with its limits and streams', () => {
    const m = parse(hello);
    expect(m.type).toBe('hello');
    if (m.type === 'hello') {
      expect(m.version).toBe(2);
      expect(m.streams).toContain('intensity:zlma');
      expect(m.limits.max_message_bytes).toBe(4096);
      expect(m.limits.ping_timeout_ms).toBe(15000);
      expect(m.symbols[0]).toEqual({ symbol: 'ALFA', tick_size: 0.01, decimals: 2 });
    }
  });

  it('ok, error with its code, pong', () => {
    expect(parse({ type: 'ok', id: 1, op: 'subscribe', channels: 6 })).toEqual({ type: 'ok', id: 1, op: 'subscribe', channels: 6 });
    expect(parse({ type: 'error', id: 'a', code: 'unknown_symbol', message: "unknown symbol 'XYZ'" })).toEqual({
      type: 'error',
      id: 'a',
      code: 'unknown_symbol',
      message: "unknown symbol 'XYZ'",
    });
    expect(parse({ type: 'error', id: null, code: 'bad_json', message: 'x' })).toMatchObject({ id: null });
    expect(parse({ type: 'pong', id: 4, server_time_ms: 1767364261300 })).toEqual({ type: 'pong', id: 4, server_time_ms: 1767364261300 });
  });

  it('a candle snapshot with history, last_seq and the candle in progress', () => {
    const m = parse({ type: 'snapshot', id: 1, symbol: 'ALFA', stream: 'candles:1m', last_seq: 42, events: [closed41], current: current43 });
    expect(m.type).toBe('snapshot');
    if (m.type === 'snapshot') {
      expect(m.resume).toBe(false);
      expect(m.last_seq).toBe(42);
      expect(m.events).toHaveLength(1);
      expect(m.events[0]).toMatchObject({ type: 'candle', tf: '1m', closed: true, seq: 41, vol_zlma: 1100.5, bar_intensity: 12.5 });
      expect(m.current).toMatchObject({ type: 'candle', closed: false, seq: 43 });
    }
  });

  it('a resumed snapshot and value-channel snapshots of samples', () => {
    const resumed = parse({ type: 'snapshot', id: 3, symbol: 'ALFA', stream: 'spikes', resume: true, last_seq: 9, events: [spikeStart, spikeEnd], current: null });
    expect(resumed).toMatchObject({ type: 'snapshot', resume: true, last_seq: 9 });
    const values = parse({ type: 'snapshot', id: 1, symbol: 'ALFA', stream: 'intensity:ema', last_seq: 0, events: [intensitySample], current: { ...intensity, stream: 'intensity:ema' } });
    if (values.type !== 'snapshot') {
      throw new Error('not a snapshot');
    }
    expect(values.events[0]).toMatchObject({ type: 'intensity_sample', smoother: 'ema', raw_min: 2000 });
    expect(values.current).toMatchObject({ type: 'intensity', smoother: 'ema', value: null });
    const band = parse({ type: 'snapshot', id: 1, symbol: 'ALFA', stream: 'buffer', last_seq: 0, events: [bufferSample], current: null });
    expect(band).toMatchObject({ events: [{ type: 'buffer_sample', zone: 'not_ready', upper: null }] });
  });

  it('a batch of every event kind with its send time', () => {
    const m = parse({ type: 'batch', t_send_ms: 1767364261201, events: [closed41, current43, tick, intensity, buffer, spikeStart, spikeEnd, reversal] });
    if (m.type !== 'batch') {
      throw new Error('not a batch');
    }
    expect(m.t_send_ms).toBe(1767364261201);
    expect(m.events.map((e) => e.type)).toEqual(['candle', 'candle', 'tick', 'intensity', 'buffer', 'spike_start', 'spike_end', 'reversal']);
    expect(m.events[2]).toMatchObject({ seq: 77, bid: 101.24, ask: null });
    expect(m.events[3]).toMatchObject({ smoother: 'zlma' });
    expect(m.events[7]).toMatchObject({ direction: -1, version: 2, reason: 'extreme_retrace' });
  });

  it('gap, lagging and caught_up', () => {
    expect(parse({ type: 'gap', symbol: 'ALFA', stream: 'spikes', from: 5, to: 9, reason: 'overflow' })).toEqual({
      type: 'gap',
      symbol: 'ALFA',
      stream: 'spikes',
      from: 5,
      to: 9,
      reason: 'overflow',
    });
    expect(parse({ type: 'lagging', queued_bytes: 1310720, high_water_bytes: 1048576 })).toMatchObject({ type: 'lagging' });
    expect(parse({ type: 'caught_up' })).toEqual({ type: 'caught_up' });
  });

  it('ignores message types, event types and fields it does not know', () => {
    expect(parse({ type: 'news', text: 'x' })).toEqual({ type: 'unknown', name: 'news' });
    const m = parse({ type: 'batch', t_send_ms: 1, events: [{ type: 'quote', symbol: 'ALFA' }, { ...spikeStart, extra: 1 }] });
    expect(m).toMatchObject({ type: 'batch', skipped: 1, events: [{ type: 'spike_start' }] });
  });
});

describe('parseServerFrame: rejects what breaks the contract', () => {
  it('non-text, non-JSON and non-object frames', () => {
    expect(parseServerFrame(new ArrayBuffer(2)).ok).toBe(false);
    expect(parseServerFrame('{').ok).toBe(false);
    rejects([1, 2], /frame: expected object/);
  });

  it('a hello of another protocol version', () => {
    rejects({ ...hello, version: 1 }, /version 2/);
    rejects({ ...hello, streams: undefined }, /hello.streams/);
    rejects({ ...hello, limits: { max_message_bytes: -1 } }, /max_message_bytes/);
  });

  it('errors without a code and ids of the wrong type', () => {
    rejects({ type: 'error', id: 1, message: 'x' }, /error.code/);
    rejects({ type: 'ok', id: {}, op: 'subscribe' }, /ok.id/);
  });

  it('snapshots of unknown streams or with events of another channel', () => {
    rejects({ type: 'snapshot', id: 1, symbol: 'ALFA', stream: 'candles:7x', last_seq: 0, events: [] }, /unknown stream/);
    rejects({ type: 'snapshot', id: 1, symbol: 'BETA', stream: 'candles:1m', last_seq: 0, events: [closed41] }, /snapshot/);
    rejects({ type: 'snapshot', id: 1, symbol: 'ALFA', stream: 'spikes', last_seq: 0, events: [reversal] }, /reversal/);
    rejects({ type: 'snapshot', id: 1, symbol: 'ALFA', stream: 'spikes', last_seq: -1, events: [] }, /last_seq/);
  });

  it('events with missing, non-finite or ill-typed fields: left out of a batch with the reason, the rest kept', () => {
    const bad = [
      [{ ...closed41, o: 'x' }, /events\[0\]\.o/],
      [{ ...closed41, closed: 1 }, /closed/],
      [{ ...spikeStart, seq: 0 }, /seq/],
      [{ ...reversal, direction: 0 }, /direction/],
      [{ ...buffer, zone: 'hot' }, /zone/],
      [{ ...tick, bid: undefined }, /bid/],
      [{ ...spikeStart, stream: 'reversals' }, /spike_start/],
    ] as const;
    for (const [event, reason] of bad) {
      const m = parse({ type: 'batch', t_send_ms: 1, events: [event, spikeStart] });
      if (m.type !== 'batch') {
        throw new Error('not a batch');
      }
      expect(m.events.map((e) => e.type)).toEqual(['spike_start']);
      expect(m.invalid).toHaveLength(1);
      expect(m.invalid[0]).toMatch(reason);
    }
    rejects({ type: 'batch', events: [] }, /t_send_ms/);
    rejects({ type: 'batch', t_send_ms: 1, events: {} }, /batch.events/);
    // In a snapshot a bad event rejects the frame: a snapshot is a whole state.
    rejects({ type: 'snapshot', id: 1, symbol: 'ALFA', stream: 'candles:1m', last_seq: 41, events: [{ ...closed41, h: null }] }, /\.h/);
  });

  it('gaps that are not a range of an event channel', () => {
    rejects({ type: 'gap', symbol: 'ALFA', stream: 'spikes', from: 9, to: 5, reason: 'overflow' }, /gap.to/);
    rejects({ type: 'gap', symbol: 'ALFA', stream: 'buffer', from: 1, to: 2, reason: 'overflow' }, /not an event stream/);
  });
});

describe('streams', () => {
  it('parses and prints stream names', () => {
    expect(parseStream('candles:15m')).toEqual({ kind: 'candles', tf: '15m' });
    expect(parseStream('intensity:sma')).toEqual({ kind: 'intensity', smoother: 'sma' });
    expect(parseStream('reversals')).toEqual({ kind: 'reversals' });
    expect(parseStream('intensity:wma')).toBeNull();
    expect(parseStream('candles')).toBeNull();
    for (const name of ['candles:1s', 'ticks', 'intensity:ema', 'buffer', 'spikes', 'reversals']) {
      const id = parseStream(name);
      expect(id === null ? null : streamName(id)).toBe(name);
    }
  });

  it('tells event channels from value channels', () => {
    expect(['candles:1s', 'ticks', 'spikes', 'reversals'].map(isEventStream)).toEqual([true, true, true, true]);
    expect(['intensity:ema', 'buffer', 'nope'].map(isEventStream)).toEqual([false, false, false]);
  });

  it('gives the channel seq of closed candles and events, none for samples', () => {
    const m = parse({ type: 'batch', t_send_ms: 1, events: [closed41, current43, spikeStart, intensity, tick] });
    const events: readonly MarketEvent[] = m.type === 'batch' ? m.events : [];
    expect(events.map(eventSeq)).toEqual([41, null, 8, null, 77]);
  });

  it('reads the revised flag of a corrected closed candle, which repeats its seq', () => {
    const m = parse({ type: 'batch', t_send_ms: 1, events: [{ ...closed41, revised: true }, closed41] });
    const events: readonly MarketEvent[] = m.type === 'batch' ? m.events : [];
    expect(events.map((e) => (e.type === 'candle' ? e.revised === true : null))).toEqual([true, false]);
    expect(events.map(eventSeq)).toEqual([null, 41]);
  });
});

describe('client requests', () => {
  it('encodes subscribe, unsubscribe, resume and ping with ids', () => {
    expect(JSON.parse(encodeClientMessage({ op: 'subscribe', id: 1, symbols: ['ALFA', 'BETA'], streams: ['candles:1m', 'spikes'], history: '10m' }))).toEqual({
      op: 'subscribe',
      id: 1,
      symbols: ['ALFA', 'BETA'],
      streams: ['candles:1m', 'spikes'],
      history: '10m',
    });
    expect(JSON.parse(encodeClientMessage({ op: 'resume', id: 3, channels: [{ symbol: 'ALFA', stream: 'spikes', seq: 7 }] }))).toEqual({
      op: 'resume',
      id: 3,
      channels: [{ symbol: 'ALFA', stream: 'spikes', seq: 7 }],
    });
    expect(JSON.parse(encodeClientMessage({ op: 'ping', id: 4 }))).toEqual({ op: 'ping', id: 4 });
  });

  it('reads history durations', () => {
    expect(historySeconds('90s')).toBe(90);
    expect(historySeconds('10m')).toBe(600);
    expect(historySeconds('2h')).toBe(7200);
    expect(historySeconds('1d')).toBe(86400);
    expect(historySeconds(0)).toBe(0);
    expect(historySeconds('10x')).toBeNull();
  });
});
