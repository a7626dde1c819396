/**
 * bench:accuracy — quantized integer inference against onnxruntime (float reference) over a folder
 * of models: EZKL layout (`<m>/network.onnx` or `model.onnx`, `input.json` optional) or the ONNX
 * node-test layout (`test_<name>/model.onnx`, `test_data_set_0/input_N.pb`). Each model is calibrated on
 * its own input. EZKL layout: input.json is read and the model compiled exactly as `zkinfer compile
 * --calibrate input.json` does (the CLI's reader, input_shapes, `compileOnnx`; a non-float input is
 * an activation, a length that does not fit the shape an error). Node tests: non-float inputs and
 * inputs feeding parameter positions (weights, shapes, axes, pads) are folded as constants from
 * the test data, as an exporter would store them.
 * Prints one row per model and a final JSON line.
 *
 *   npm run bench:accuracy -- ../shared/fixtures/ezkl [--margin 1.25] [--filter substr] [--time]
 */
import fs from 'node:fs';
import path from 'node:path';
import { importOnnx, readTensorPb, type Graph } from '../src/model/graph.js';
import { ModelError } from '../src/model/errors.js';
import { UnsupportedOps, prepare } from '../src/model/prepare.js';
import { isFloatType, type Tensor } from '../src/model/tensor.js';
import { opDef } from '../src/ops/registry.js';
import { compare, compileOnnx, toTensors, withinTolerance } from '../src/quantize/compile.js';
import type { QuantizedModel } from '../src/quantize/layers.js';
import { resolveInputShapes } from '../src/model/input-shapes.js';
import { quantizeModel } from '../src/quantize/quantize.js';
import { runQuantized } from '../src/quantize/infer.js';
import { deterministicInput, inputShapesJson, parseInputJson } from '../src/cli/inputs.js';
import { loadOrt, runOrt } from './ort.js';

interface Case {
  name: string;
  bytes: Uint8Array;
  graph?: Graph;
  feeds: Map<string, Tensor>;
  /** EZKL layout: compiled exactly as the CLI compiles it (its reader's data, resolved shapes) */
  cli?: { data: Record<string, number[]>; inputShapes: Record<string, number[]> };
  error?: unknown;
}

function loadCase(dir: string, name: string): Case | null {
  const d = path.join(dir, name);
  const onnx = ['network.onnx', 'model.onnx'].map((f) => path.join(d, f)).find((f) => fs.existsSync(f));
  if (!onnx) return null;
  const bytes = new Uint8Array(fs.readFileSync(onnx));
  const c: Case = { name, bytes, feeds: new Map() };
  try {
    const g = importOnnx(bytes);
    c.graph = g;
    const ds = path.join(d, 'test_data_set_0');
    if (fs.existsSync(ds)) {
      g.inputs.forEach((inp, k) => {
        const f = path.join(ds, `input_${k}.pb`);
        if (fs.existsSync(f)) c.feeds.set(inp.name, readTensorPb(new Uint8Array(fs.readFileSync(f)), f));
      });
    } else {
      // as `zkinfer compile --calibrate input.json` reads it: the CLI's reader, input_shapes (EZKL's,
      // batch-less), symbolic dimensions from the data; no padding or truncation
      const inputs = g.inputs.filter((i) => !g.consts.has(i.name));
      const ij = path.join(d, 'input.json');
      const text = fs.existsSync(ij) ? fs.readFileSync(ij, 'utf8') : null;
      const parsed = text === null ? null : parseInputJson(text, inputs, 'input.json');
      const resolved = resolveInputShapes(g, text === null ? {} : inputShapesJson(text, inputs, 'input.json'), parsed ? [parsed] : []);
      const dims = Object.fromEntries(inputs.map((i) => [i.name, resolved.shapes[i.name] ?? i.dims ?? [1]]));
      const data = parsed ?? deterministicInput(inputs.map((i) => ({ ...i, dims: dims[i.name] })));
      for (const i of inputs) {
        const n = dims[i.name].reduce((a, b) => a * b, 1);
        if (data[i.name].length !== n) throw new ModelError('BadInput', `input.json: '${i.name}' has ${data[i.name].length} values, shape [${dims[i.name]}] needs ${n}`);
        c.feeds.set(i.name, { dims: dims[i.name], data: Float64Array.from(data[i.name]), dtype: i.dtype });
      }
      c.cli = { data, inputShapes: dims };
    }
  } catch (e) {
    c.error = e;
  }
  return c;
}

/** Node-test inputs that are parameters (non-float, or feeding a parameter position). */
function constInputsOf(g: Graph, feeds: Map<string, Tensor>): Map<string, Tensor> {
  const res = new Map<string, Tensor>();
  const paramUse = new Set<string>();
  for (const n of g.nodes) for (const p of opDef(n.opType)?.params ?? []) if (n.inputs[p]) paramUse.add(n.inputs[p]);
  for (const [k, t] of feeds) if (!isFloatType(t.dtype) || paramUse.has(k)) res.set(k, t);
  return res;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const dir = args.find((a) => !a.startsWith('--') && !/^[0-9.]+$/.test(a));
  const opt = (k: string) => {
    const i = args.indexOf(k);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const margin = Number(opt('--margin') ?? 1.25);
  const filter = opt('--filter');
  if (!dir || !fs.existsSync(dir)) {
    console.error(`usage: npm run bench:accuracy -- <folder of models> [--margin m] [--filter s]${dir ? `\nfolder not found: ${dir}` : ''}`);
    process.exitCode = 2;
    return;
  }
  const ort = loadOrt();
  if (!ort) console.error('bench:accuracy: onnxruntime-node could not be loaded; the float reference is unavailable, every model is counted as ortFailed');
  const names = fs.readdirSync(dir).filter((n) => fs.statSync(path.join(dir, n)).isDirectory() && (!filter || n.includes(filter))).sort();
  let models = 0, imported = 0, within = 0, ortFailed = 0;
  const unsupported: Record<string, number> = {};
  console.log(['model'.padEnd(58), 'status'.padEnd(12), 'relL2'.padStart(9), 'maxAbs'.padStart(10), 'argmax'.padStart(6), ' note'].join(' '));
  for (const name of names) {
    const c = loadCase(dir, name);
    if (!c) continue;
    models++;
    let status = '';
    let note = '';
    let rel = NaN, mab = NaN;
    let am: boolean | null = null;
    let ref: Map<string, Tensor> | null = null;
    if (ort) {
      try {
        ref = await runOrt(ort, c.bytes, c.feeds);
      } catch (e) {
        note = `ort: ${(e as Error).message.split('\n')[0].slice(0, 80)}`;
      }
    }
    if (!ref) {
      ortFailed++;
      status = 'ort-failed';
    }
    try {
      if (c.error) throw c.error;
      let model: QuantizedModel;
      let sample: Record<string, ArrayLike<number>>;
      if (c.cli) {
        sample = c.cli.data;
        model = compileOnnx(c.bytes, [sample], { margin, inputShapes: c.cli.inputShapes }).model;
        imported++; // compileOnnx imports, prepares and quantizes in one call: counted once it succeeds
      } else {
        const g = c.graph!;
        const constInputs = constInputsOf(g, c.feeds);
        const p = prepare(g, { constInputs, inputShapes: Object.fromEntries([...c.feeds].filter(([k]) => !constInputs.has(k)).map(([k, t]) => [k, t.dims])) });
        imported++;
        const feeds: Record<string, Float64Array> = {};
        for (const i of p.graph.inputs) feeds[i.name] = c.feeds.get(i.name)!.data;
        model = quantizeModel(p, [toTensors(p, feeds)], { margin });
        sample = feeds;
      }
      const r = runQuantized(model, sample, { strict: false });
      if (ref) {
        let ok = true;
        rel = 0; mab = 0;
        for (const o of r.outputs) {
          const rt = ref.get(o.name);
          if (!rt) continue;
          const cmp = compare(rt.data, o.values, 2 ** -o.exp);
          const refMax = rt.data.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
          ok &&= withinTolerance(cmp, refMax);
          rel = Math.max(rel, cmp.relL2);
          mab = Math.max(mab, cmp.maxAbs);
          am = am === false ? false : cmp.argmaxAgree;
        }
        status = ok ? 'ok' : 'tolerance';
        if (ok) within++;
      }
    } catch (e) {
      if (e instanceof UnsupportedOps) {
        for (const op of Object.keys(e.ops)) unsupported[op] = (unsupported[op] ?? 0) + 1;
        if (ref) status = 'unsupported';
        note = e.message.slice(0, 120);
      } else if (e instanceof ModelError) {
        if (ref) status = e.kind;
        note = e.message.slice(0, 140);
        if (e.kind === 'Unsupported' || e.kind === 'DynamicShape') {
          const m = /^(\w+) node/.exec(e.message);
          const op = m ? m[1] : e.kind;
          unsupported[op] = (unsupported[op] ?? 0) + 1;
        }
      } else {
        if (ref) status = 'error';
        note = `BUG: ${(e as Error).stack?.split('\n').slice(0, 2).join(' ')}`;
      }
    }
    const f = (v: number, w: number) => (Number.isFinite(v) ? v.toExponential(2) : String(v)).padStart(w);
    console.log([name.slice(0, 58).padEnd(58), status.padEnd(12), f(rel, 9), f(mab, 10), String(am ?? '-').padStart(6), ` ${note}`].join(' '));
  }
  const line = { models, imported, withinTolerance: within, ortFailed, unsupported };
  const runnable = models - ortFailed;
  console.log(`# within tolerance: ${within}/${runnable} models that onnxruntime runs (${runnable ? ((100 * within) / runnable).toFixed(1) : '0'}%)`);
  console.log(JSON.stringify(line));
}

main().catch((e: unknown) => {
  console.error(`bench:accuracy: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
});
