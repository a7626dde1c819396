/**
 * zk-verify-profile — proves one zero-knowledge receipt of a generated model, then verifies it
 * many times, so that a CPU profile of this script is the verifier's (and `--prove N` the
 * prover's) steady state:
 *
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof dist/bench/zk-verify-profile.js mlp-4m [--verify 20] [--prove 0]
 *
 * Prints the median verify and prove times (ms) of the runs after one warm-up each, wall clock and
 * this process's CPU time (user + system: steadier than the wall clock on a shared machine).
 */
import { generatedModel, GENERATED_MODELS, type GeneratedName } from '../src/model/generated.js';
import { compileOnnx } from '../src/quantize/compile.js';
import { commitModel } from '../src/prover/commit.js';
import { prove } from '../src/prover/prove.js';
import { verifyReceipt } from '../src/verifier/verify.js';
import { arg, median } from './util.js';

const name = (process.argv.slice(2).find((a) => !a.startsWith('--') && !/^\d+$/.test(a)) ?? 'mlp-4m') as GeneratedName;
if (!(GENERATED_MODELS as readonly string[]).includes(name)) throw new Error(`expected one of ${GENERATED_MODELS.join(', ')}, got ${name}`);
const verifies = Number(arg('--verify', '20'));
const proves = Number(arg('--prove', '0'));
const g = generatedModel(name, { inputCount: 4 });
const { model } = compileOnnx(g.onnx, g.inputs);
const input = g.inputs[0];
const cm = commitModel(model, { zk: { openings: Number(arg('--zk-openings', '16')) } });
let receipt = prove(cm, input).receipt;
const cpuMs = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;
const pt: number[] = [];
const pc: number[] = [];
for (let i = 0; i < proves; i++) {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  receipt = prove(cm, input).receipt;
  pc.push(cpuMs(process.cpuUsage(c0)));
  pt.push(performance.now() - t0);
}
const first = verifyReceipt(receipt, cm.modelId, input);
if (!first.ok) throw new Error(`verification failed: ${first.error.message}`);
const vt: number[] = [];
const vc: number[] = [];
for (let i = 0; i < verifies; i++) {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const v = verifyReceipt(receipt, cm.modelId, input);
  vc.push(cpuMs(process.cpuUsage(c0)));
  vt.push(performance.now() - t0);
  if (!v.ok) throw new Error(`verification failed: ${v.error.message}`);
}
const med = (xs: number[]) => (xs.length ? +median(xs).toFixed(1) : null);
console.log(JSON.stringify({ model: name, verifyMs: med(vt), verifyCpuMs: med(vc), proveMs: med(pt), proveCpuMs: med(pc), proofBytes: receipt.length }));
