#!/usr/bin/env node
// Test oracle for the indicators (docs/INDICATORS.md § 2.2, § 2.8 v4). Reads one JSON
// request (from the file named as the first argument, or from stdin when there is none or
// it is "-") and prints every output value so that it parses back into the very same
// double: decimal numbers in JavaScript's shortest round-trip form (strtod/from_chars read
// them back exactly), or with --hex the 16 hex digits of the IEEE-754 bits.
//
// Request:
//   { "series": { "<name>": [x0, x1, ...], ... },          optional, shared inputs
//     "calls": [ { "id": "<any>", "fn": "<FN>", "period": n,
//                  "input": "<series name>" | [x0, x1, ...],          SMA, EMA, MA, ZLMA
//                  "matype": "SMA" | "EMA",                           MA only
//                  "high": ..., "low": ..., "close": ... },           CHOP only
//                ... ] }
// Functions (TA-Lib always called with startIdx = 0, endIdx = length - 1):
//   SMA   TA_SMA(period)               TA-Lib accepts period 2..100000
//   EMA   TA_EMA(period)               (SMA seed: TA-Lib's default compatibility)
//   MA    TA_MA(period, matype)        period 1 is TA-Lib's identity (output = input)
//   ZLMA  TA_EMA(period) of d_k = 2 * x_k - x_{k-L}, L = (period - 1) / 2 (integer division),
//         d computed here; begIndex is reported on x's index (d's begIndex + L). Period 1
//         (L = 0, d = x) goes through TA_MA(1), as TA_EMA rejects it.
//   CHOP  Choppiness Index of npm lightweight-charts-indicators (a Pine Script port, not
//         TA-Lib): 100 * log10(sum TR / (maxHigh - minLow)) / log10(period), TR = max(H - L,
//         |H - C_prev|, |L - C_prev|), H - L on the first bar. NaN ("nan") where
//         maxHigh == minLow. begIndex = period - 1.
//
// Output, line oriented:
//   talib_oracle 1 talib <version of the talib package>
//   call <id> <fn> <period> ok <begIndex> <nbElement>      then nbElement value lines
//   call <id> <fn> <period> error <message>
//   end <number of calls>
// Exit codes: 0 done (a call's own error is reported in its block), 2 bad request,
// 3 the oracle packages are not installed (run scripts/setup).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { dirname } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

function fail(code, message) {
  process.stderr.write(`talib_oracle: ${message}\n`);
  process.exit(code);
}

function loadTalib() {
  try {
    return require('talib');
  } catch (e) {
    fail(3, `npm package talib is not installed in ${here}/node_modules (${e.code ?? e.message});` +
      ' run scripts/setup (it runs npm ci in tests/oracle)');
  }
}

async function loadChop() {
  try {
    return (await import('lightweight-charts-indicators')).Choppiness;
  } catch (e) {
    fail(3, `npm package lightweight-charts-indicators is not installed in ${here}/node_modules ` +
      `(${e.code ?? e.message}); run scripts/setup (it runs npm ci in tests/oracle)`);
  }
}

const bitsView = new DataView(new ArrayBuffer(8));
function formatDec(v) {
  if (Number.isNaN(v)) return 'nan';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  if (Object.is(v, -0)) return '-0';
  return String(v);  // shortest string that round-trips (ECMA-262 Number::toString)
}
function formatHex(v) {
  bitsView.setFloat64(0, v);
  return bitsView.getBigUint64(0).toString(16).padStart(16, '0');
}

function resolveSeries(req, spec, what) {
  if (Array.isArray(spec)) return spec;
  if (typeof spec === 'string' && req.series && Array.isArray(req.series[spec])) {
    return req.series[spec];
  }
  throw new Error(`${what}: expected an array or the name of a series`);
}

function checkNumbers(xs, what) {
  for (let i = 0; i < xs.length; ++i) {
    if (typeof xs[i] !== 'number' || !Number.isFinite(xs[i])) {
      throw new Error(`${what}[${i}] is not a finite number`);
    }
  }
}

function talibCall(talib, name, input, opts) {
  let r;
  try {
    r = talib.execute({ name, startIdx: 0, endIdx: input.length - 1, inReal: input, ...opts });
  } catch (e) {
    throw new Error(`TA_${name}(${opts.optInTimePeriod}): ${e.message}`);
  }
  if (r.error) throw new Error(`TA_${name}(${opts.optInTimePeriod}): ${r.error}`);
  return { begIndex: r.begIndex, values: r.result.outReal.slice(0, r.nbElement) };
}

const MATYPES = { SMA: 0, EMA: 1 };

function runCall(talib, chop, req, call) {
  const fn = call.fn;
  const n = call.period;
  if (!Number.isInteger(n) || n < 1) throw new Error('period must be an integer >= 1');
  if (fn === 'CHOP') {
    const h = resolveSeries(req, call.high, 'high');
    const l = resolveSeries(req, call.low, 'low');
    const c = resolveSeries(req, call.close, 'close');
    if (h.length !== l.length || h.length !== c.length) throw new Error('high/low/close lengths differ');
    for (const [xs, w] of [[h, 'high'], [l, 'low'], [c, 'close']]) checkNumbers(xs, w);
    const bars = h.map((_, i) => ({ time: i, open: c[i], high: h[i], low: l[i], close: c[i], volume: 0 }));
    const plot = chop.calculate(bars, { length: n }).plots.plot0;
    const beg = Math.min(n - 1, bars.length);
    return { begIndex: beg, values: plot.slice(beg).map((p) => p.value) };
  }
  const x = resolveSeries(req, call.input, 'input');
  checkNumbers(x, 'input');
  if (x.length === 0) throw new Error('empty input');
  switch (fn) {
    case 'SMA':
    case 'EMA':
      return talibCall(talib, fn, x, { optInTimePeriod: n });
    case 'MA': {
      const t = MATYPES[call.matype];
      if (t === undefined) throw new Error('MA needs "matype": "SMA" or "EMA"');
      return talibCall(talib, 'MA', x, { optInTimePeriod: n, optInMAType: t });
    }
    case 'ZLMA': {
      const lag = Math.floor((n - 1) / 2);
      if (x.length <= lag) return { begIndex: 0, values: [] };
      const d = new Array(x.length - lag);
      for (let k = lag; k < x.length; ++k) d[k - lag] = 2 * x[k] - x[k - lag];
      const r = n === 1 ? talibCall(talib, 'MA', d, { optInTimePeriod: 1, optInMAType: 1 })
                        : talibCall(talib, 'EMA', d, { optInTimePeriod: n });
      return { begIndex: r.begIndex + lag, values: r.values };
    }
    default:
      throw new Error(`unknown fn "${fn}" (SMA, EMA, MA, ZLMA, CHOP)`);
  }
}

async function main() {
  const args = process.argv.slice(2);
  const hex = args.includes('--hex');
  const files = args.filter((a) => a !== '--hex');
  let text;
  try {
    text = readFileSync(files.length && files[0] !== '-' ? files[0] : 0, 'utf8');
  } catch (e) {
    fail(2, `cannot read the request: ${e.message}`);
  }
  let req;
  try {
    req = JSON.parse(text);
  } catch (e) {
    fail(2, `the request is not JSON: ${e.message}`);
  }
  if (!req || !Array.isArray(req.calls)) fail(2, 'the request has no "calls" array');

  const talib = loadTalib();
  const chop = req.calls.some((c) => c.fn === 'CHOP') ? await loadChop() : null;
  const format = hex ? formatHex : formatDec;
  const out = [`talib_oracle 1 talib ${talib.version}`];
  const flush = () => {
    process.stdout.write(out.join('\n') + '\n');
    out.length = 0;
  };
  for (const call of req.calls) {
    const head = `call ${call.id ?? '-'} ${call.fn} ${call.period}`;
    let r;
    try {
      r = runCall(talib, chop, req, call);
    } catch (e) {
      out.push(`${head} error ${String(e.message).replace(/\s+/g, ' ')}`);
      continue;
    }
    out.push(`${head} ok ${r.begIndex} ${r.values.length}`);
    for (const v of r.values) out.push(format(v));
    flush();
  }
  out.push(`end ${req.calls.length}`);
  flush();
}

await main();
