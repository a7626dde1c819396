/**
 * Field kernel benchmark (`npm run bench:field`): times the WebAssembly kernels in place on
 * 2^20 elements (data already in linear memory), then the same calls through the
 * `FieldKernels` wrapper, whose extra cost is the copies in and out of linear memory. Prints a
 * table, then exactly one JSON line as the last line of output. Median of several runs after a
 * warm-up (which also lets V8 tier the kernels up to its optimizing compiler).
 */
import { loadWasmField, wasmKernels } from '../src/field/wasm.js';
import { referenceKernels } from '../src/field/reference.js';
import { P } from '../src/field/babybear.js';

const LOG = 20;
const N = 1 << LOG;
const WARMUP = 3;
const RUNS = 9;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

/** Median wall time of fn in milliseconds. `setup` runs untimed before each run. */
function time(fn: () => void, setup: () => void = () => {}, runs = RUNS): number {
  for (let i = 0; i < WARMUP; i++) {
    setup();
    fn();
  }
  const ts: number[] = [];
  for (let i = 0; i < runs; i++) {
    setup();
    const t0 = process.hrtime.bigint();
    fn();
    ts.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return median(ts);
}

function fillRandom(v: Uint32Array): void {
  for (let i = 0; i < v.length; i++) v[i] = Math.floor(Math.random() * P);
}

const f = loadWasmField();
if (f === null) throw new Error('bench:field: WebAssembly kernels failed to load');
const ex = f.ex;
f.twiddles(LOG);

// Regions in linear memory: a (4N words), b (4N words), c (4N words).
const pa = f.scratch;
const pb = pa + 16 * N;
const pc = pb + 16 * N;
const mem = f.ensure(pc + 16 * N);
fillRandom(mem.subarray(pa >>> 2, (pa >>> 2) + 12 * N));
const s = 123456789;

const rows: [string, number, string][] = [];
const perElem = (ms: number, n: number): number => (ms * 1e6) / n;

const mulAddMs = time(() => ex.mulAdd(pa, pb, s, N));
rows.push(['mulAdd (in place)', perElem(mulAddMs, N), 'ns/elem']);
const mulMs = time(() => ex.mul(pc, pa, pb, N));
rows.push(['mul (in place)', perElem(mulMs, N), 'ns/elem']);
const dotMs = time(() => ex.dot(pa, pb, N));
rows.push(['dot (in place)', perElem(dotMs, N), 'ns/elem']);
const extMulMs = time(() => ex.extMul(pc, pa, pb, N));
rows.push(['extMul (in place)', perElem(extMulMs, N), 'ns/elem']);
const extMulAddMs = time(() => ex.extMulAdd(pc, pa, 5, 6, 7, 8, N));
rows.push(['extMulAdd (in place)', perElem(extMulAddMs, N), 'ns/elem']);
const extDotMs = time(() => ex.extDot(pc, pa, pb, N));
rows.push(['extDot (in place)', perElem(extDotMs, N), 'ns/elem']);
const foldExtMs = time(() => ex.foldExt(pc, pa, 5, 6, 7, 8, N / 2));
rows.push(['foldExt 2^20→2^19 (in place)', perElem(foldExtMs, N / 2), 'ns/out elem']);
const eqMs = time(() => ex.eqTable(pc, pa, LOG));
rows.push(['eqTable 2^20 (in place)', eqMs, 'ms']);
// productRound over 3 tables of 2^18 pairs each (3 × 4·2^19 words fit in a, b, c), degree 3.
const prMs = time(() => ex.productRound(pa, pb, 32 << 18, 3, 1 << 18, 3, pa + 1024));
rows.push(['productRound 3×2^19, deg 3 (in place)', perElem(prMs, 1 << 18), 'ns/pair']);
const combMs = time(() => ex.combineRows(pc, pa, pb, 1024, 1024));
rows.push(['combineRows 1024×1024 (in place)', perElem(combMs, N), 'ns/elem']);
const transMs = time(() => ex.transpose(pc, pa, 1024, 1024));
rows.push(['transpose 1024×1024 (in place)', perElem(transMs, N), 'ns/elem']);

// NTT of 2^20: the data must be canonical; the transform keeps it so, so no reset is needed.
const ntt20Ms = time(() => ex.nttBatch(pa, 1, LOG, 0, f.tw));
rows.push(['ntt 2^20 forward (in place)', ntt20Ms, 'ms']);
const intt20Ms = time(() => ex.nttBatch(pa, 1, LOG, 1, f.tw));
rows.push(['ntt 2^20 inverse (in place)', intt20Ms, 'ms']);
const nttRowsMs = time(() => ex.nttBatch(pa, 1 << 10, 10, 0, f.tw));
rows.push(['ntt 1024 rows × 2^10 (in place)', nttRowsMs, 'ms']);

// Through the FieldKernels wrapper (copies in and out of linear memory).
const a = new Uint32Array(N);
const b = new Uint32Array(N);
fillRandom(a);
fillRandom(b);
const ea = new Uint32Array(4 * N);
const eb = new Uint32Array(4 * N);
fillRandom(ea);
fillRandom(eb);
const eo = new Uint32Array(4 * N);
const wMulAddMs = time(() => wasmKernels.mulAdd(a, b, s));
rows.push(['mulAdd (wrapper)', perElem(wMulAddMs, N), 'ns/elem']);
const wExtMulMs = time(() => wasmKernels.extMul(eo, ea, eb));
rows.push(['extMul (wrapper)', perElem(wExtMulMs, N), 'ns/elem']);
const wNttMs = time(() => wasmKernels.nttBatch(a, 1, LOG, false));
rows.push(['ntt 2^20 (wrapper)', wNttMs, 'ms']);
const copyNs = perElem(wMulAddMs - mulAddMs, N);
rows.push(['  wrapper copy overhead, mulAdd', copyNs, 'ns/elem']);
rows.push(['  wrapper copy overhead, extMul', perElem(wExtMulMs - extMulMs, N), 'ns/elem']);
rows.push(['  wrapper copy overhead, ntt 2^20', wNttMs - ntt20Ms, 'ms']);

// For scale: the plain-TS reference on the same mulAdd.
const refMulAddMs = time(() => referenceKernels.mulAdd(a, b, s), () => {}, 3);
rows.push(['mulAdd (TS reference)', perElem(refMulAddMs, N), 'ns/elem']);

const width = Math.max(...rows.map((r) => r[0].length));
console.log(`field kernels, 2^${LOG} elements, median of ${RUNS} (node ${process.version})`);
for (const [name, v, unit] of rows) console.log(`${name.padEnd(width)}  ${v.toFixed(3).padStart(10)} ${unit}`);
console.log(
  JSON.stringify({
    mulAddNs: +perElem(mulAddMs, N).toFixed(3),
    extMulNs: +perElem(extMulMs, N).toFixed(3),
    ntt20Ms: +ntt20Ms.toFixed(2),
    intt20Ms: +intt20Ms.toFixed(2),
    wrapperMulAddNs: +perElem(wMulAddMs, N).toFixed(3),
    wrapperCopyNs: +copyNs.toFixed(3),
  }),
);
