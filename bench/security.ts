/**
 * bench:security — the composed security figure of models' receipts (`src/circuit/security.ts`),
 * without proving: compile, build the circuit, compose the bound. Prints one row per model (the
 * figure, the cap the field terms set, the two openings' layouts and queries, the largest term,
 * the cost of the dry replay on a fresh circuit — what a verifier pays once per model), next to
 * it the zero-knowledge receipt's figure (`src/verifier/zk-security.ts`, for the code `commit --zk`
 * chooses with the default opening budget: its queries t, the Ligero proof's linear constraints M
 * and the cost of its dry run on a fresh circuit), then one JSON line per model.
 *
 *   npm run bench:security -- demo                the `zkinfer demo` digits MLP (trained in-process)
 *   npm run bench:security -- mlp-4m cnn-cifar    generated models (mlp-tiny, cnn-tiny, mlp-4m, cnn-cifar, mlp-18m)
 *   npm run bench:security -- model.onnx | <dir>  ONNX files (input.json beside, or a deterministic input); a folder in EZKL layout
 */
import fs from 'node:fs';
import path from 'node:path';
import { buildCircuit, type Circuit } from '../src/circuit/circuit.js';
import { describeModel } from '../src/circuit/description.js';
import { largestTerms, receiptSecurity } from '../src/circuit/security.js';
import { deterministicInput, parseInputJson } from '../src/cli/inputs.js';
import { trainDigitsModel } from '../src/demo/train.js';
import { generatedModel, GENERATED_MODELS } from '../src/model/generated.js';
import { importOnnx } from '../src/model/graph.js';
import { chooseLayout } from '../src/pcs/params.js';
import { zkCommitmentCode } from '../src/prover/commit.js';
import { zkReceiptSecurity } from '../src/verifier/zk-security.js';
import { compileOnnx } from '../src/quantize/compile.js';

interface Source {
  name: string;
  onnx: Uint8Array;
  inputs: Record<string, number[]>[];
}

function fromFile(file: string, name: string): Source {
  const onnx = new Uint8Array(fs.readFileSync(file));
  const shaped = importOnnx(onnx).inputs.map((i) => ({ ...i, dims: (i.dims ?? [1]).map((d) => (d > 0 ? d : 1)) }));
  const ij = path.join(path.dirname(file), 'input.json');
  const data = fs.existsSync(ij) ? parseInputJson(fs.readFileSync(ij, 'utf8'), shaped, ij) : deterministicInput(shaped);
  for (const i of shaped) {
    const n = i.dims.reduce((a, b) => a * b, 1);
    const v = data[i.name];
    if (v.length !== n) data[i.name] = Array.from({ length: n }, (_, k) => v[k % v.length]);
  }
  return { name, onnx, inputs: [data] };
}

function sources(spec: string): Source[] {
  if (spec === 'demo') {
    const tm = trainDigitsModel();
    return [{ name: 'demo (digits MLP)', onnx: tm.onnx, inputs: tm.calibration }];
  }
  if ((GENERATED_MODELS as readonly string[]).includes(spec)) {
    const g = generatedModel(spec);
    return [{ name: spec, onnx: g.onnx, inputs: g.inputs }];
  }
  if (!fs.existsSync(spec)) throw new Error(`no such model, file or folder: ${spec} (demo, ${GENERATED_MODELS.join(', ')})`);
  if (fs.statSync(spec).isFile()) return [fromFile(spec, path.basename(spec, '.onnx'))];
  const out: Source[] = [];
  for (const d of fs.readdirSync(spec).sort()) {
    const f = ['network.onnx', 'model.onnx'].map((x) => path.join(spec, d, x)).find((x) => fs.existsSync(x));
    if (f) out.push(fromFile(f, d));
  }
  return out;
}

function circuitOf(s: Source): Circuit {
  return buildCircuit(describeModel(compileOnnx(s.onnx, s.inputs).model).description);
}

const specs = process.argv.slice(2).filter((a) => !a.startsWith('--'));
if (specs.length === 0) {
  console.error(`usage: npm run bench:security -- <demo | ${GENERATED_MODELS.join(' | ')} | model.onnx | dir> ...`);
  process.exitCode = 2;
} else {
  const lines: string[] = [];
  const bits: number[] = [];
  console.log(`${'model'.padEnd(22)} ${'bits'.padStart(7)} ${'cap'.padStart(7)} ${'witness'.padStart(8)} ${'params'.padStart(7)} ${'t (w/p)'.padStart(8)} ${'replay ms'.padStart(9)} | ${'zk bits'.padStart(7)} ${'zk cap'.padStart(7)} ${'zk t'.padStart(5)} ${'M'.padStart(9)} ${'zk ms'.padStart(7)}  largest term (clear; zk)`);
  for (const spec of specs) {
    for (const s of sources(spec)) {
      let c: Circuit;
      try {
        c = circuitOf(s);
      } catch (e) {
        console.log(`${s.name.padEnd(22)} refused up front: ${(e as Error).message.slice(0, 90)}`);
        continue;
      }
      receiptSecurity(circuitOf(s)); // warm-up on another circuit object (JIT, kernels)
      const t0 = performance.now();
      const sec = receiptSecurity(c);
      const replayMs = performance.now() - t0;
      const w = chooseLayout(c.witness.numVars);
      const p = chooseLayout(c.params.numVars);
      const top = largestTerms(sec, 1)[0];
      bits.push(sec.bits);
      const code = zkCommitmentCode(c);
      const fresh = circuitOf(s); // the zk dry run, timed on a circuit with nothing cached
      const t1 = performance.now();
      const zk = zkReceiptSecurity(fresh, code);
      const zkMs = performance.now() - t1;
      const zkTop = largestTerms(zk, 1)[0];
      console.log(
        `${s.name.slice(0, 22).padEnd(22)} ${sec.bits.toFixed(2).padStart(7)} ${sec.fieldCapBits.toFixed(2).padStart(7)} ${`2^${c.witness.numVars}`.padStart(8)} ${`2^${c.params.numVars}`.padStart(7)} ${`${w.numQueries}/${p.numQueries}`.padStart(8)} ${replayMs.toFixed(1).padStart(9)} | ${zk.bits.toFixed(2).padStart(7)} ${zk.fieldCapBits.toFixed(2).padStart(7)} ${String(code.queries).padStart(5)} ${String(zk.numLinear).padStart(9)} ${zkMs.toFixed(0).padStart(7)}  ${top.name} 2^${top.log2.toFixed(2)}; ${zkTop.name} 2^${zkTop.log2.toFixed(2)}`,
      );
      lines.push(
        JSON.stringify({
          model: s.name,
          securityBits: sec.bits,
          fieldCapBits: sec.fieldCapBits,
          witnessVars: c.witness.numVars,
          paramVars: c.params.numVars,
          queries: [w.numQueries, p.numQueries],
          replayMs: +replayMs.toFixed(1),
          largest: { name: top.name, log2: top.log2 },
          zk: { securityBits: zk.bits, fieldCapBits: zk.fieldCapBits, code, numLinear: zk.numLinear, dryRunMs: +zkMs.toFixed(1), largest: { name: zkTop.name, log2: zkTop.log2 } },
        }),
      );
    }
  }
  for (const l of lines) console.log(l);
  if (bits.length > 1) console.log(JSON.stringify({ models: bits.length, minBits: Math.min(...bits), maxBits: Math.max(...bits), below100: bits.filter((b) => b < 100).length }));
}
