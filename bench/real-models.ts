/**
 * bench:real-models — the real-model suite (`bench/real-models-suite.ts`) end to end: for each
 * model, compile with its shapes and pins, the integer model's error against onnxruntime's float
 * outputs on the model's fixed input (`compare` / `withinTolerance`, as bench:accuracy measures
 * it), parameters, commit, prove and verify times and receipt bytes in zero-knowledge mode (the
 * CLI's default) and, unless --no-clear, in clear mode; the composed security bits. A model
 * that fails says where and with its exact error; none is skipped.
 *
 *   npm run bench:real-models [-- --filter substr] [--no-clear] [--runs N]
 *
 * One JSON line per model, then a table. Times are medians of --runs proofs (default 1, no
 * warm-up: a cold process, as a user's first proof); zk mode commits with the default opening budget.
 */
import { compare, compileOnnx, withinTolerance } from '../src/quantize/compile.js';
import { runQuantized } from '../src/quantize/infer.js';
import { commitModel, type CommittedModel } from '../src/prover/commit.js';
import { prove } from '../src/prover/prove.js';
import { verifyReceipt } from '../src/verifier/verify.js';
import { committedSecurity } from '../src/cli/security.js';
import { importOnnx } from '../src/model/graph.js';
import { describeModel } from '../src/circuit/description.js';
import { DT } from '../src/model/onnx-proto.js';
import type { Tensor } from '../src/model/tensor.js';
import { loadOrt, runOrt } from './ort.js';
import { SUITE, modelBytes, type RealModel } from './real-models-suite.js';
import { arg, median } from './util.js';

interface Row {
  model: string;
  source: string;
  licence: string;
  input: string;
  stage?: string;
  error?: string;
  params?: number;
  layers?: number;
  compileMs?: number;
  maxAbs?: number;
  relL2?: number;
  withinTolerance?: boolean;
  argmaxAgree?: boolean | null;
  zk?: Mode;
  clear?: Mode;
}

interface Mode {
  commitMs: number;
  proveMs: number;
  verifyMs: number;
  receiptBytes: number;
  securityBits: number;
}

function measure(cm: CommittedModel, input: Record<string, number[]>, runs: number, commitMs: number): Mode {
  const pt: number[] = [];
  const vt: number[] = [];
  for (let i = 0; i < runs; i++) {
    let t0 = performance.now();
    const res = prove(cm, input);
    pt.push(performance.now() - t0);
    t0 = performance.now();
    const v = verifyReceipt(res.receipt, cm.modelId, input);
    vt.push(performance.now() - t0);
    if (!v.ok) throw new Error(`verification failed: ${v.error.message}`);
    if (i === runs - 1) return { commitMs: Math.round(commitMs), proveMs: Math.round(median(pt)), verifyMs: Math.round(median(vt)), receiptBytes: res.receipt.length, securityBits: committedSecurity(cm).bits };
  }
  throw new Error('--runs must be at least 1');
}

/** The graph's own input feeds: the run's input plus the pinned inputs, typed as the model declares. */
function feeds(onnx: Uint8Array, m: RealModel, input: Record<string, number[]>): Map<string, Tensor> {
  const g = importOnnx(onnx);
  const res = new Map<string, Tensor>();
  for (const i of g.inputs.filter((x) => !g.consts.has(x.name))) {
    const data = input[i.name] ?? m.pinned?.[i.name];
    if (!data) throw new Error(`no value for input '${i.name}'`);
    const dims = m.inputShapes?.[i.name] ?? (m.pinned?.[i.name] ? i.dims ?? [] : i.dims ?? [data.length]);
    res.set(i.name, { dims, data: Float64Array.from(data), dtype: i.dtype === DT.DOUBLE ? DT.FLOAT : i.dtype });
  }
  return res;
}

async function run(m: RealModel, runs: number, clear: boolean): Promise<Row> {
  const row: Row = { model: m.name, source: 'pkg' in m.source ? `${m.source.pkg}/${m.source.file}` : m.source.trainer, licence: m.licence, input: m.inputNote };
  let stage = 'load';
  try {
    const onnx = modelBytes(m);
    const input = m.input();
    stage = 'compile';
    let t0 = performance.now();
    const comp = compileOnnx(onnx, [input], { inputShapes: m.inputShapes, pinnedInputs: m.pinned, source: m.name });
    row.compileMs = Math.round(performance.now() - t0);
    row.layers = comp.model.layers.length;
    row.params = describeModel(comp.model).description.params.reduce((a, p) => a + p.dims.reduce((x, y) => x * y, 1), 0);
    stage = 'onnxruntime';
    const ort = loadOrt();
    if (!ort) throw new Error('onnxruntime-node does not load: no float reference');
    const ref = await runOrt(ort, onnx, feeds(onnx, m, input));
    const q = runQuantized(comp.model, input, { strict: false });
    let ok = true;
    row.maxAbs = 0;
    row.relL2 = 0;
    row.argmaxAgree = null;
    for (const o of q.outputs) {
      const r = ref.get(o.name)!;
      const c = compare(r.data, o.values, 2 ** -o.exp);
      ok &&= withinTolerance(c, r.data.reduce((a, v) => Math.max(a, Math.abs(v)), 0));
      row.maxAbs = Math.max(row.maxAbs, c.maxAbs);
      row.relL2 = Math.max(row.relL2, c.relL2);
      if (c.argmaxAgree !== null) row.argmaxAgree = row.argmaxAgree !== false && c.argmaxAgree;
    }
    row.withinTolerance = ok;
    stage = 'commit (zk)';
    t0 = performance.now();
    const zcm = commitModel(comp.model, { zk: {} });
    const zkCommit = performance.now() - t0;
    stage = 'prove/verify (zk)';
    row.zk = measure(zcm, input, runs, zkCommit);
    if (clear) {
      stage = 'commit (clear)';
      t0 = performance.now();
      const cm = commitModel(comp.model);
      const clearCommit = performance.now() - t0;
      stage = 'prove/verify (clear)';
      row.clear = measure(cm, input, runs, clearCommit);
    }
  } catch (e) {
    row.stage = stage;
    row.error = e instanceof Error ? e.message : String(e);
  }
  return row;
}

async function main(): Promise<void> {
  const filter = arg('--filter', '');
  const runs = Number(arg('--runs', '1'));
  const clear = !process.argv.includes('--no-clear');
  const rows: Row[] = [];
  for (const m of SUITE.filter((x) => x.name.includes(filter))) {
    const row = await run(m, runs, clear);
    console.log(JSON.stringify(row));
    rows.push(row);
  }
  const f = (v: number | undefined, w: number, d = 0) => (v === undefined ? '-' : d ? v.toExponential(d) : String(v)).padStart(w);
  console.log(`\n${'model'.padEnd(36)} ${'params'.padStart(8)} ${'maxAbs'.padStart(8)} ${'relL2'.padStart(8)} tol  ${'zk commit'.padStart(9)} ${'zk prove'.padStart(8)} ${'zk verify'.padStart(9)} ${'zk KiB'.padStart(7)} ${'bits'.padStart(6)}  ${'clr prove'.padStart(9)} ${'clr verify'.padStart(10)} ${'clr KiB'.padStart(7)}`);
  for (const r of rows) {
    const kib = (b: number | undefined) => (b === undefined ? '-' : (b / 1024).toFixed(1)).padStart(7);
    const head = `${r.model.padEnd(36)} ${f(r.params, 8)} ${f(r.maxAbs, 8, 1)} ${f(r.relL2, 8, 1)} ${r.withinTolerance === undefined ? ' - ' : r.withinTolerance ? 'ok ' : 'NO '}`;
    if (r.zk) console.log(`${head}  ${f(r.zk.commitMs, 9)} ${f(r.zk.proveMs, 8)} ${f(r.zk.verifyMs, 9)} ${kib(r.zk.receiptBytes)} ${f(r.zk.securityBits, 6)}  ${f(r.clear?.proveMs, 9)} ${f(r.clear?.verifyMs, 10)} ${kib(r.clear?.receiptBytes)}${r.error ? `  FAILED at ${r.stage}: ${r.error}` : ''}`);
    else console.log(`${head}  FAILED at ${r.stage}: ${r.error}`);
  }
  const proved = rows.filter((r) => r.zk).length;
  console.log(`# ${proved}/${rows.length} proved and verified in zk mode; ${rows.filter((r) => r.withinTolerance).length} within tolerance of onnxruntime`);
}

main().catch((e: unknown) => {
  console.error(`bench:real-models: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
});
