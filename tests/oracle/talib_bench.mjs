#!/usr/bin/env node
// Throughput of TA-Lib's batch SMA and EMA (npm talib@1.1.6) over N doubles (default 10 M),
// for comparison with the C++ streaming smoothers (make bench). Best of several
// repetitions; only the TA-Lib call is timed, in two ways:
//   - "C core": TA_SMA / TA_EMA called from a small C program linked with the very static
//     libraries that npm built for the oracle (node_modules/talib/src/lib/lib), compiled
//     here with cc -O2 (needs build-essential, which scripts/setup installs). This is the
//     number to put next to the C++ benchmark.
//   - "node-talib": talib.execute() from JavaScript. It also converts the 10 M-element JS
//     array into a double[] one element at a time and builds a 10 M-element JS result
//     array, which is nearly all of its time.
// Input: a random walk of integer price ticks around 10000, as doubles (what the engine
// feeds), the same walk in C and in JavaScript.
//
//   node tests/oracle/talib_bench.mjs [--n 10000000] [--period 20] [--reps 5]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isInteger(v) || v < 1) {
    process.stderr.write(`talib_bench: --${name} needs a positive integer\n`);
    process.exit(2);
  }
  return v;
}

let talib;
try {
  talib = require('talib');
} catch (e) {
  process.stderr.write(`talib_bench: npm package talib is not installed (${e.code ?? e.message}); ` +
    'run scripts/setup (it runs npm ci in tests/oracle)\n');
  process.exit(3);
}

const n = option('n', 10_000_000);
const period = option('period', 20);
const reps = option('reps', 5);

// --- C core ------------------------------------------------------------------------------
const cSource = String.raw`
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "ta_libc.h"
static double now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}
int main(int argc, char** argv) {
  if (argc != 4) return 2;
  const int n = atoi(argv[1]), period = atoi(argv[2]), reps = atoi(argv[3]);
  double* x = malloc(sizeof(double) * (size_t)n);
  double* out = malloc(sizeof(double) * (size_t)n);
  if (!x || !out) return 3;
  long q = 10000;
  unsigned s = 12345u;
  for (int i = 0; i < n; ++i) {
    s = s * 1103515245u + 12345u;
    q += (long)((s >> 16) % 7u) - 3;
    if (q < 1) q = 1;
    x[i] = (double)q;
  }
  if (TA_Initialize() != TA_SUCCESS) return 4;
  for (int f = 0; f < 2; ++f) {
    double best = 1e300, sink = 0.0;
    int beg = 0, nb = 0;
    for (int r = 0; r < reps; ++r) {
      const double t0 = now_ns();
      const TA_RetCode rc = f == 0 ? TA_SMA(0, n - 1, x, period, &beg, &nb, out)
                                   : TA_EMA(0, n - 1, x, period, &beg, &nb, out);
      const double t1 = now_ns();
      if (rc != TA_SUCCESS) return 5;
      if (t1 - t0 < best) best = t1 - t0;
      sink += out[nb - 1];
    }
    printf("%s %d %.0f %.17g\n", f == 0 ? "SMA" : "EMA", nb, best, sink);
  }
  TA_Shutdown();
  return 0;
}
`;

function cCore() {
  const lib = join(here, 'node_modules/talib/src/lib');
  const libs = ['libta_func_csr.a', 'libta_common_csr.a'].map((f) => join(lib, 'lib', f));
  if (!libs.every(existsSync)) return { note: `no TA-Lib static libraries under ${lib}/lib` };
  const dir = mkdtempSync(join(tmpdir(), 'spacetime-talib-bench-'));
  try {
    writeFileSync(join(dir, 'bench.c'), cSource);
    const exe = join(dir, 'bench');
    const cc = spawnSync('cc', ['-O2', '-I', join(lib, 'include'), join(dir, 'bench.c'), ...libs,
      '-lm', '-o', exe], { encoding: 'utf8' });
    if (cc.error || cc.status !== 0) {
      return { note: `cannot compile the C harness: ${cc.error?.message ?? cc.stderr.trim()}` };
    }
    const run = spawnSync(exe, [String(n), String(period), String(reps)], { encoding: 'utf8' });
    if (run.error || run.status !== 0) {
      return { note: `the C harness failed: ${run.error?.message ?? `exit ${run.status}`}` };
    }
    return {
      rows: run.stdout.trim().split('\n').map((line) => {
        const [fn, outputs, best] = line.split(' ');
        return { label: `${fn}(${period})`, how: 'C core', outputs: Number(outputs), best: Number(best) };
      }),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// --- node-talib --------------------------------------------------------------------------
function jsInput() {
  const input = new Array(n);
  let q = 10000;
  let s = 12345;
  for (let i = 0; i < n; ++i) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    q = Math.max(1, q + ((s >>> 16) % 7) - 3);
    input[i] = q;
  }
  return input;
}

function nodeTalib(input, fn) {
  let best = Infinity;
  let outputs = 0;
  for (let r = 0; r < reps; ++r) {
    const t0 = process.hrtime.bigint();
    const res = talib.execute({ name: fn, startIdx: 0, endIdx: n - 1, inReal: input,
      optInTimePeriod: period });
    const t1 = process.hrtime.bigint();
    outputs = res.nbElement;
    best = Math.min(best, Number(t1 - t0));
  }
  return { label: `${fn}(${period})`, how: 'node-talib', outputs, best };
}

const c = cCore();
const input = jsInput();
const rows = [...(c.rows ?? []), nodeTalib(input, 'SMA'), nodeTalib(input, 'EMA')];

console.log(`TA-Lib batch, npm talib ${talib.version} (node ${process.version}): ` +
  `${n.toLocaleString('en-US')} doubles, best of ${reps}, only the TA-Lib call timed`);
console.log('| function | called from | outputs    |  best ms | ns/value |     values/s |');
console.log('|----------|-------------|------------|----------|----------|--------------|');
for (const r of rows) {
  const ns = r.best / n;
  console.log(`| ${r.label.padEnd(8)} | ${r.how.padEnd(11)} | ${String(r.outputs).padStart(10)} | ` +
    `${(r.best / 1e6).toFixed(1).padStart(8)} | ${ns.toFixed(2).padStart(8)} | ` +
    `${(1e9 / ns).toExponential(3).padStart(12)} |`);
}
if (c.note) console.log(`C core rows skipped: ${c.note}`);
console.log('C core: TA_SMA/TA_EMA on a double[] (compare with the C++ benchmark). node-talib: ' +
  'talib.execute(), including its JS array <-> double[] conversion.');
