// A small stand-in for the gateway speaking protocol v2 (docs/PROTOCOL.md), for the
// browser tests while the real server still speaks v1 (SPACETIME_E2E_SERVER=mock).
// Node only, no dependencies: a minimal WebSocket server (RFC 6455 text frames), a
// random-walk market on a few symbols, candles for every timeframe, intensity and band
// samples, spikes and reversals with per-channel seqs, snapshots with history,
// resume, REST history with cursors, and state kept in `dataDir` across a restart.
// It also withholds a few closed candles on purpose (once with a `gap` notice, once
// silently) so the page's refetch path runs in the browser.

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import path from 'node:path';

type Json = Record<string, unknown>;

const kTimeframes: readonly [string, number][] = [
  ['1s', 1],
  ['10s', 10],
  ['1m', 60],
  ['5m', 300],
  ['15m', 900],
  ['1h', 3600],
  ['1d', 86400],
];
const kSmoothers = ['sma', 'ema', 'zlma'] as const;
const kStreams = [...kTimeframes.map(([tf]) => `candles:${tf}`), 'ticks', ...kSmoothers.map((s) => `intensity:${s}`), 'buffer', 'spikes', 'reversals'];
const kFlushMs = 100;
const kNames = ['ALFA', 'BRVO', 'CHRL', 'DLTA', 'ECHO', 'FXTR', 'GOLF', 'HOTL'];

interface Bar {
  seq: number;
  t: number;
  o: number;
  h: number;
  l: number;
  c: number;
  v: number;
  n: number;
}

interface SymbolState {
  price: number;
  bars: Record<string, Bar | null>;
  /** Closed candles per tf, and spikes / reversals: events with seq. */
  events: Record<string, Json[]>;
  seqs: Record<string, number>;
  samples: Record<string, Json[]>;
  volumeWindow: { t: number; v: number }[];
  smooth: Record<string, number>;
  inSpike: boolean;
  tickSeq: number;
}

interface Client {
  socket: Duplex;
  channels: Set<string>;
  pending: Json[];
  buffer: Buffer;
  closedSeen: number;
}

export interface MockOptions {
  readonly webRoot: string;
  readonly symbols: number;
  readonly dataDir: string | null;
}

export class MockGateway {
  private readonly options: MockOptions;
  private readonly server: Server;
  private readonly clients = new Set<Client>();
  private readonly state = new Map<string, SymbolState>();
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(options: MockOptions) {
    this.options = options;
    const names = kNames.slice(0, options.symbols);
    const saved = this.load();
    names.forEach((name, i) => this.state.set(name, saved?.[name] ?? freshSymbol(100 + i * 25)));
    if (saved === null) {
      // Fifteen minutes of past, so snapshots and scroll-back have history at once.
      const now = Date.now();
      for (let t = now - 15 * 60_000; t < now; t += kFlushMs) {
        this.step(t);
      }
    }
    this.server = createServer((req, res) => this.http(req, res));
    this.server.on('upgrade', (req, socket) => this.upgrade(req, socket));
  }

  listen(port: number): Promise<number> {
    return new Promise((resolve) => {
      this.server.listen(port, '127.0.0.1', () => {
        const address = this.server.address();
        this.timer = setInterval(() => {
          this.step(Date.now());
          this.flush();
        }, kFlushMs);
        resolve(typeof address === 'object' && address !== null ? address.port : port);
      });
    });
  }

  async close(): Promise<void> {
    if (this.timer !== null) {
      clearInterval(this.timer);
    }
    this.save();
    for (const client of this.clients) {
      client.socket.destroy();
    }
    this.clients.clear();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ---- market ---------------------------------------------------------------------

  private step(nowMs: number): void {
    for (const [symbol, s] of this.state) {
      const trades = 1 + Math.floor(Math.random() * 6);
      for (let i = 0; i < trades; i += 1) {
        s.price = Math.max(1, Math.round((s.price + (Math.random() - 0.5) * 0.2) * 100) / 100);
        const size = 1 + Math.floor(Math.random() * 10);
        s.tickSeq += 1;
        s.volumeWindow.push({ t: nowMs, v: size });
        this.trade(symbol, s, nowMs, s.price, size);
      }
      s.volumeWindow = s.volumeWindow.filter((w) => w.t > nowMs - 1000);
      const raw = s.volumeWindow.reduce((sum, w) => sum + w.v, 0);
      const alpha: Record<string, number> = { sma: 0.05, ema: 0.1, zlma: 0.2 };
      for (const sm of kSmoothers) {
        s.smooth[sm] = (s.smooth[sm] ?? raw) + (alpha[sm] ?? 0.1) * (raw - (s.smooth[sm] ?? raw));
        const stream = `intensity:${sm}`;
        this.sample(symbol, s, stream, { type: 'intensity_sample', t_ms: nowMs, raw, raw_min: raw * 0.8, raw_max: raw * 1.2, value: s.smooth[sm] });
        this.publish(symbol, stream, { type: 'intensity', symbol, stream, tick_seq: s.tickSeq, t_ms: nowMs, raw, value: s.smooth[sm] });
      }
      const base = s.smooth['ema'] ?? raw;
      const band = { s: base, upper: base * 1.3, baseline: base, lower: base * 0.7, zone: raw > base * 1.3 ? 'high' : raw < base * 0.7 ? 'low' : 'neutral' };
      this.sample(symbol, s, 'buffer', { type: 'buffer_sample', t_ms: nowMs, ...band });
      this.publish(symbol, 'buffer', { type: 'buffer', symbol, stream: 'buffer', tick_seq: s.tickSeq, t_ms: nowMs, ...band });
      if (Math.random() < 0.01) {
        this.event(symbol, s, 'spikes', s.inSpike
          ? { type: 'spike_end', tick_seq: s.tickSeq, t_ms: nowMs, t_start_ms: nowMs - 1500, t_peak_ms: nowMs - 800, t_end_ms: nowMs, peak_intensity: raw * 2, peak_z: 4, ticks: 40, price_start: s.price - 0.1, price_end: s.price }
          : { type: 'spike_start', tick_seq: s.tickSeq, t_ms: nowMs, intensity: raw * 2, z: 3.5, price: s.price });
        s.inSpike = !s.inSpike;
      }
      if (Math.random() < 0.01) {
        const version = 1 + Math.floor(Math.random() * 4);
        const reasons = ['climax_fade', 'extreme_retrace', 'trend_pullback', 'cross_not_choppy'];
        this.event(symbol, s, 'reversals', {
          type: 'reversal',
          tick_seq: s.tickSeq,
          t_ms: nowMs,
          version,
          direction: Math.random() < 0.5 ? 1 : -1,
          price: s.price,
          reason: reasons[version - 1],
          strength: Math.round(Math.random() * 10),
        });
      }
    }
  }

  private trade(symbol: string, s: SymbolState, tMs: number, price: number, size: number): void {
    this.event(symbol, s, 'ticks', { type: 'tick', tick_seq: s.tickSeq, t_ms: tMs, price, size, bid: price - 0.01, ask: price + 0.01 });
    for (const [tf, seconds] of kTimeframes) {
      const stream = `candles:${tf}`;
      const bucket = Math.floor(tMs / 1000 / seconds) * seconds;
      let bar = s.bars[tf] ?? null;
      if (bar !== null && bucket > bar.t) {
        this.event(symbol, s, stream, { type: 'candle', closed: true, ...bar }, bar.seq);
        bar = null;
      }
      if (bar === null) {
        bar = { seq: (s.seqs[stream] ?? 0) + 1, t: bucket, o: price, h: price, l: price, c: price, v: 0, n: 0 };
      }
      bar.h = Math.max(bar.h, price);
      bar.l = Math.min(bar.l, price);
      bar.c = price;
      bar.v += size;
      bar.n += 1;
      s.bars[tf] = bar;
      this.publish(symbol, stream, { type: 'candle', symbol, stream, closed: false, ...bar });
    }
  }

  /** An event of an event channel: numbered, kept, published. */
  private event(symbol: string, s: SymbolState, stream: string, body: Json, seq?: number): void {
    const next = seq ?? (s.seqs[stream] ?? 0) + 1;
    s.seqs[stream] = next;
    const event = { symbol, stream, seq: next, ...body };
    const list = (s.events[stream] ??= []);
    list.push(event);
    if (list.length > 20_000) {
      list.splice(0, list.length - 20_000);
    }
    this.publish(symbol, stream, event);
  }

  private sample(symbol: string, s: SymbolState, stream: string, body: Json): void {
    const list = (s.samples[stream] ??= []);
    list.push({ symbol, stream, seq: list.length + 1, ...body });
    if (list.length > 6000) {
      list.splice(0, list.length - 6000);
    }
  }

  private publish(symbol: string, stream: string, event: Json): void {
    const key = `${symbol} ${stream}`;
    for (const client of this.clients) {
      if (!client.channels.has(key)) {
        continue;
      }
      // Values and candles in progress are conflated: the latest per channel.
      const conflated = event['type'] === 'intensity' || event['type'] === 'buffer' || (event['type'] === 'candle' && event['closed'] === false);
      if (conflated) {
        const at = client.pending.findIndex((e) => e['symbol'] === symbol && e['stream'] === stream && e['type'] === event['type'] && e['closed'] !== true);
        if (at >= 0) {
          client.pending.splice(at, 1);
        }
      }
      client.pending.push(event);
    }
  }

  private flush(): void {
    for (const client of this.clients) {
      if (client.pending.length === 0) {
        continue;
      }
      const events: Json[] = [];
      for (const e of client.pending) {
        if (e['type'] === 'candle' && e['closed'] === true && e['stream'] === 'candles:1s') {
          client.closedSeen += 1;
          // Withhold two closed candles on purpose: one announced by a gap, one silently.
          if (client.closedSeen === 4) {
            sendText(client.socket, { type: 'gap', symbol: e['symbol'], stream: e['stream'], from: e['seq'], to: e['seq'], reason: 'overflow' });
            continue;
          }
          if (client.closedSeen === 7) {
            continue;
          }
        }
        events.push(e);
      }
      client.pending = [];
      sendText(client.socket, { type: 'batch', t_send_ms: Date.now(), events });
    }
  }

  // ---- WebSocket --------------------------------------------------------------------

  private upgrade(req: IncomingMessage, socket: Duplex): void {
    const key = req.headers['sec-websocket-key'];
    if (!(req.url ?? '').startsWith('/ws') || typeof key !== 'string') {
      socket.destroy();
      return;
    }
    const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
    const client: Client = { socket, channels: new Set(), pending: [], buffer: Buffer.alloc(0), closedSeen: 0 };
    this.clients.add(client);
    socket.on('data', (chunk: Buffer) => {
      client.buffer = Buffer.concat([client.buffer, chunk]);
      for (;;) {
        const frame = readFrame(client.buffer);
        if (frame === null) {
          break;
        }
        client.buffer = client.buffer.subarray(frame.length);
        if (frame.opcode === 8) {
          socket.end();
          return;
        }
        if (frame.opcode === 1) {
          this.request(client, frame.payload.toString('utf8'));
        }
      }
    });
    const drop = (): void => {
      this.clients.delete(client);
    };
    socket.on('close', drop);
    socket.on('error', drop);
    sendText(socket, {
      type: 'hello',
      version: 2,
      server_time_ms: Date.now(),
      flush_ms: kFlushMs,
      symbols: [...this.state.keys()].map((symbol) => ({ symbol, tick_size: 0.01, decimals: 2 })),
      timeframes: kTimeframes.map(([tf]) => tf),
      streams: kStreams,
      limits: { max_message_bytes: 4096, max_subscriptions: 2000, requests_per_s: 20, request_burst: 40, history_max_s: 604800, snapshot_max_events: 5000 },
    });
  }

  private request(client: Client, text: string): void {
    let msg: Json;
    try {
      msg = JSON.parse(text) as Json;
    } catch {
      sendText(client.socket, { type: 'error', id: null, code: 'bad_json', message: 'not JSON' });
      return;
    }
    const id = msg['id'] ?? null;
    const op = msg['op'];
    const symbols = (msg['symbols'] as string[] | undefined) ?? [];
    const streams = (msg['streams'] as string[] | undefined) ?? [];
    if (op === 'ping') {
      sendText(client.socket, { type: 'pong', id, server_time_ms: Date.now() });
      return;
    }
    if (op === 'subscribe' || op === 'unsubscribe') {
      const bad = symbols.find((s) => !this.state.has(s));
      if (bad !== undefined) {
        sendText(client.socket, { type: 'error', id, code: 'unknown_symbol', message: `unknown symbol '${bad}'` });
        return;
      }
      const badStream = streams.find((s) => !kStreams.includes(s));
      if (badStream !== undefined) {
        sendText(client.socket, { type: 'error', id, code: 'unknown_stream', message: `unknown stream '${badStream}'` });
        return;
      }
      const history = historySeconds(msg['history'] ?? '10m');
      let count = 0;
      for (const symbol of symbols) {
        for (const stream of streams) {
          const key = `${symbol} ${stream}`;
          if (op === 'subscribe') {
            client.pending = client.pending.filter((e) => !(e['symbol'] === symbol && e['stream'] === stream));
            client.channels.add(key);
            sendText(client.socket, this.snapshot(id, symbol, stream, history, null));
            count += 1;
          } else if (client.channels.delete(key)) {
            client.pending = client.pending.filter((e) => !(e['symbol'] === symbol && e['stream'] === stream));
            count += 1;
          }
        }
      }
      sendText(client.socket, { type: 'ok', id, op, channels: count });
      return;
    }
    if (op === 'resume') {
      const channels = (msg['channels'] as { symbol: string; stream: string; seq: number }[] | undefined) ?? [];
      for (const c of channels) {
        client.channels.add(`${c.symbol} ${c.stream}`);
        sendText(client.socket, this.snapshot(id, c.symbol, c.stream, 0, c.seq));
      }
      sendText(client.socket, { type: 'ok', id, op, channels: channels.length });
      return;
    }
    sendText(client.socket, { type: 'error', id, code: 'unknown_op', message: `unknown op '${String(op)}'` });
  }

  private snapshot(id: unknown, symbol: string, stream: string, historyS: number, afterSeq: number | null): Json {
    const s = this.state.get(symbol) as SymbolState;
    const fromMs = Date.now() - historyS * 1000;
    const timeOf = (e: Json): number => (typeof e['t'] === 'number' ? e['t'] * 1000 : Number(e['t_ms']));
    let events: Json[];
    let current: Json | null = null;
    if (stream.startsWith('intensity:') || stream === 'buffer') {
      events = (s.samples[stream] ?? []).filter((e) => timeOf(e) >= fromMs).slice(-5000);
      const last = events.at(-1);
      current = last === undefined ? null : { ...last, type: stream === 'buffer' ? 'buffer' : 'intensity', tick_seq: s.tickSeq };
      return { type: 'snapshot', id, symbol, stream, last_seq: 0, events, current };
    }
    const all = s.events[stream] ?? [];
    events = afterSeq === null ? all.filter((e) => timeOf(e) >= fromMs).slice(-5000) : all.filter((e) => Number(e['seq']) > afterSeq);
    if (stream.startsWith('candles:')) {
      const bar = s.bars[stream.slice('candles:'.length)] ?? null;
      current = bar === null ? null : { type: 'candle', symbol, stream, closed: false, ...bar };
    }
    const lastSeq = stream.startsWith('candles:') ? (all.at(-1)?.['seq'] ?? 0) : (s.seqs[stream] ?? 0);
    return { type: 'snapshot', id, symbol, stream, ...(afterSeq === null ? {} : { resume: true }), last_seq: lastSeq, events, current };
  }

  // ---- HTTP -------------------------------------------------------------------------

  private http(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const json = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (url.pathname === '/api/symbols') {
      json(200, { symbols: [...this.state].map(([symbol, s]) => ({ symbol, tick_size: 0.01, decimals: 2, last: s.price, change: 0, change_pct: 0 })), timeframes: kTimeframes.map(([tf]) => tf) });
      return;
    }
    const series = /^\/api\/(candles|spikes|reversals|ticks)$/.exec(url.pathname)?.[1];
    if (series !== undefined) {
      const symbol = url.searchParams.get('symbol') ?? '';
      const s = this.state.get(symbol);
      if (s === undefined) {
        json(400, { error: 'bad_parameter', parameter: 'symbol', message: 'unknown symbol' });
        return;
      }
      const stream = series === 'candles' ? `candles:${url.searchParams.get('tf') ?? ''}` : series;
      const after = Number(url.searchParams.get('cursor') ?? url.searchParams.get('after_seq') ?? 0);
      const limit = Math.min(5000, Number(url.searchParams.get('limit') ?? 500));
      const toMs = Number(url.searchParams.get('to') ?? Infinity);
      const timeOf = (e: Json): number => (typeof e['t'] === 'number' ? e['t'] * 1000 : Number(e['t_ms']));
      const inRange = (s.events[stream] ?? []).filter((e) => Number(e['seq']) > after && timeOf(e) < toMs);
      if (url.searchParams.get('tail') === '1') {
        const rows = inRange.slice(-limit);
        json(200, { symbol, series, rows, more: inRange.length > rows.length, next_cursor: null });
        return;
      }
      const rows = inRange.slice(0, limit);
      const more = inRange.length > rows.length;
      json(200, { symbol, series, rows, more, next_cursor: more ? String(rows.at(-1)?.['seq']) : null });
      return;
    }
    if (url.pathname.startsWith('/api/')) {
      json(404, { error: 'not_found' });
      return;
    }
    const file = path.join(this.options.webRoot, url.pathname === '/' ? 'index.html' : path.normalize(url.pathname));
    if (!file.startsWith(this.options.webRoot) || !existsSync(file)) {
      res.writeHead(404);
      res.end();
      return;
    }
    const type = file.endsWith('.js') ? 'text/javascript' : file.endsWith('.css') ? 'text/css' : file.endsWith('.html') ? 'text/html' : 'application/octet-stream';
    res.writeHead(200, { 'content-type': type });
    res.end(readFileSync(file));
  }

  // ---- storage ----------------------------------------------------------------------

  private statePath(): string | null {
    return this.options.dataDir === null ? null : path.join(this.options.dataDir, 'mock-state.json');
  }

  private load(): Record<string, SymbolState> | null {
    const file = this.statePath();
    return file !== null && existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, SymbolState>) : null;
  }

  private save(): void {
    const file = this.statePath();
    if (file === null) {
      return;
    }
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify(Object.fromEntries(this.state)));
  }
}

function freshSymbol(price: number): SymbolState {
  return { price, bars: {}, events: {}, seqs: {}, samples: {}, volumeWindow: [], smooth: {}, inSpike: false, tickSeq: 0 };
}

function historySeconds(spec: unknown): number {
  if (typeof spec === 'number') {
    return spec;
  }
  const match = /^(\d+)([smhd])$/.exec(String(spec));
  return match === null ? 600 : Number(match[1]) * ({ s: 1, m: 60, h: 3600, d: 86400 }[match[2] as 's'] ?? 1);
}

function sendText(socket: Duplex, body: unknown): void {
  const payload = Buffer.from(JSON.stringify(body), 'utf8');
  let header: Buffer;
  if (payload.length < 126) {
    header = Buffer.from([0x81, payload.length]);
  } else if (payload.length < 65536) {
    header = Buffer.alloc(4);
    header[0] = 0x81;
    header[1] = 126;
    header.writeUInt16BE(payload.length, 2);
  } else {
    header = Buffer.alloc(10);
    header[0] = 0x81;
    header[1] = 127;
    header.writeBigUInt64BE(BigInt(payload.length), 2);
  }
  if (!socket.destroyed) {
    socket.write(Buffer.concat([header, payload]));
  }
}

/** One client frame (always masked), or null until it is complete. */
function readFrame(buf: Buffer): { opcode: number; payload: Buffer; length: number } | null {
  if (buf.length < 2) {
    return null;
  }
  const opcode = (buf[0] ?? 0) & 0x0f;
  let len = (buf[1] ?? 0) & 0x7f;
  let offset = 2;
  if (len === 126) {
    if (buf.length < 4) {
      return null;
    }
    len = buf.readUInt16BE(2);
    offset = 4;
  } else if (len === 127) {
    if (buf.length < 10) {
      return null;
    }
    len = Number(buf.readBigUInt64BE(2));
    offset = 10;
  }
  const masked = ((buf[1] ?? 0) & 0x80) !== 0;
  const maskLen = masked ? 4 : 0;
  if (buf.length < offset + maskLen + len) {
    return null;
  }
  const mask = buf.subarray(offset, offset + maskLen);
  const payload = Buffer.from(buf.subarray(offset + maskLen, offset + maskLen + len));
  if (masked) {
    for (let i = 0; i < payload.length; i += 1) {
      payload[i] = (payload[i] ?? 0) ^ (mask[i % 4] ?? 0);
    }
  }
  return { opcode, payload, length: offset + maskLen + len };
}
