/**
 * Trace commitments: what an operator commits to when it submits a result, and what a dispute
 * opens. For a model with layers L_1..L_n the trace has N = n + 2 steps:
 *
 *   t_0     = H("input"  ‖ for each model input: D(0, name, dims, q))          (the quantized input)
 *   t_k     = D(k, name_k, dims_k, q_k)  for 1 ≤ k ≤ n                          (layer k's output)
 *   t_{n+1} = H("output" ‖ for each model output: name, q)                      (the result)
 *   D(k, name, dims, q) = H("tensor" ‖ k ‖ name ‖ dims ‖ q as int32 little-endian)
 *
 * and the leaves are CHAINED: h_0 = t_0, h_k = H("chain" ‖ h_{k−1} ‖ t_k). Layers form a DAG (a
 * layer may read any earlier tensor), so agreeing on h_k must mean agreeing on the whole prefix
 * t_0..t_k — with chaining it does (a different prefix with the same h_k is a SHA-256 collision).
 * The trace root is the Merkle root (src/hash/merkle.ts) over h_0..h_{N−1}, padded with zero
 * leaves to a power of two; the h_k are used directly as leaf values (they are already domain-
 * tagged digests and the verifier fixes the depth, so a leaf cannot pose as an inner node).
 *
 * A submission binds its output to its root: it reveals h_{N−2} and h_{N−1} with one Merkle
 * multi-opening, and h_{N−1} must equal chain(h_{N−2}, t_{n+1}(submitted output)) (`checkBinding`).
 *
 * One step is settled by re-execution (`settleStep`): given the agreed h_{k−1}, a party opens the
 * prefix digests t_0..t_{k−1} (they must chain to h_{k−1}, and t_0 must be the job's own quantized
 * input) and the tensors step k reads (each must hash to its t_j); the coordinator recomputes t_k
 * by running that single layer with the interpreter (`runQuantized` on a one-layer model whose
 * constants are the opened tensors: the same kernel and clamp as the full run) and returns the
 * correct h_k. The market's reference semantics is the non-strict integer inference (values
 * clamped to the calibrated range); it equals the strict one whenever the strict run succeeds.
 */
import { sha256 } from '../hash/index.js';
import { buildMerkleTree, merkleOpen, merkleRoot, merkleVerifyMulti, type MerkleTree } from '../hash/merkle.js';
import { ModelError } from '../model/errors.js';
import { sizeOf } from '../model/tensor.js';
import { runQuantized } from '../quantize/infer.js';
import { quantizeInputValues } from '../quantize/input.js';
import type { QConst, QTensorInfo, QuantizedModel } from '../quantize/layers.js';
import { bytesEqual, fromHex, toHex } from '../util/bytes.js';
import { MarketError } from './types.js';

if (new Uint8Array(Int32Array.of(1).buffer)[0] !== 1) throw new Error('zkinfer market: trace hashing assumes a little-endian platform');

const ENC = new TextEncoder();
const TAG = { input: ENC.encode('zkinfer-trace/v1/input'), tensor: ENC.encode('zkinfer-trace/v1/tensor'), output: ENC.encode('zkinfer-trace/v1/output'), chain: ENC.encode('zkinfer-trace/v1/chain') };

export interface OutputTensor {
  name: string;
  q: Int32Array;
}

function u32s(...v: number[]): Uint8Array {
  return new Uint8Array(Uint32Array.from(v).buffer);
}

function bytesOf(q: Int32Array): Uint8Array {
  return new Uint8Array(q.buffer, q.byteOffset, q.byteLength);
}

/** D(k, name, dims, q) of the header. */
export function tensorDigest(index: number, name: string, dims: readonly number[], q: Int32Array): Uint8Array {
  const nm = ENC.encode(name);
  return sha256(TAG.tensor, u32s(index, nm.length), nm, u32s(dims.length, ...dims), bytesOf(q));
}

/** t_0: the quantized model inputs, in model order. */
export function inputDigest(model: QuantizedModel, q: ReadonlyMap<string, Int32Array>): Uint8Array {
  return sha256(TAG.input, ...model.inputs.map((i) => tensorDigest(0, i.name, i.dims, q.get(i.name)!)));
}

/** t_{n+1}: the outputs (names and integer values; no dims, so it is computable without the model). */
export function outputDigest(outputs: readonly OutputTensor[]): Uint8Array {
  const parts: Uint8Array[] = [TAG.output, u32s(outputs.length)];
  for (const o of outputs) {
    const nm = ENC.encode(o.name);
    parts.push(u32s(nm.length), nm, u32s(o.q.length), bytesOf(o.q));
  }
  return sha256(...parts);
}

export function chainLeaf(prev: Uint8Array, digest: Uint8Array): Uint8Array {
  return sha256(TAG.chain, prev, digest);
}

/** Steps in a model's trace: input, one per layer, output. */
export function traceSteps(model: QuantizedModel): number {
  return model.layers.length + 2;
}

export function merkleDepth(leaves: number): number {
  if (!Number.isInteger(leaves) || leaves < 2 || leaves > 2 ** 20) throw new MarketError('BadRequest', `expected a trace of 2 to 2^20 steps, got ${leaves}`);
  return 32 - Math.clz32(leaves - 1);
}

export interface TraceCommitment {
  /** t_0..t_{N−1} */
  digests: Uint8Array[];
  /** h_0..h_{N−1} */
  leaves: Uint8Array[];
  tree: MerkleTree;
  root: Uint8Array;
}

/** Chains digests t_0..t_{N−1} into leaves and builds the Merkle tree. */
export function commitDigests(digests: Uint8Array[]): TraceCommitment {
  const depth = merkleDepth(digests.length);
  const leaves: Uint8Array[] = [digests[0]];
  for (let k = 1; k < digests.length; k++) leaves.push(chainLeaf(leaves[k - 1], digests[k]));
  const flat = new Uint8Array(32 << depth);
  leaves.forEach((h, i) => flat.set(h, 32 * i));
  const tree = buildMerkleTree(flat);
  return { digests, leaves, tree, root: merkleRoot(tree) };
}

export interface ExecutedTrace {
  outputs: OutputTensor[];
  /** every model input (quantized) and layer output, by name */
  tensors: Map<string, Int32Array>;
  commitment: TraceCommitment;
}

/**
 * Quantized model inputs, by the rule the prover and verifier share (`quantize/input.ts`), strict:
 * a value outside its input's calibrated range is refused, not clamped — the prover would refuse
 * to prove it and the verifier to accept it, so the market must not take the job. Every refusal
 * is a BadRequest naming the input and index (and, for a range error, the value and the range).
 */
export function quantizedInputs(model: QuantizedModel, input: Record<string, ArrayLike<number>>): Map<string, Int32Array> {
  const q = new Map<string, Int32Array>();
  for (const i of model.inputs) {
    const d = input[i.name];
    if (d === undefined) throw new MarketError('BadRequest', `missing input '${i.name}' (model inputs: ${model.inputs.map((x) => x.name).join(', ')})`);
    const r = quantizeInputValues(i, d, 'strict');
    if (!r.ok) {
      const p = r.problem;
      const detail = p.kind === 'OutOfRange' ? { input: p.input, index: p.index, value: p.value, range: [p.lo / 2 ** i.exp, p.hi / 2 ** i.exp] } : { input: p.input };
      throw new MarketError('BadRequest', p.message, detail);
    }
    q.set(i.name, r.q);
  }
  return q;
}

export interface ExecuteOptions {
  /** strict integer inference (a clamped value is an error); default false, the market's reference */
  strict?: boolean;
  /**
   * FOR TESTS AND THE SIMULATION ONLY — a cheating operator: edits the output of step `step`
   * (1 ≤ step ≤ n) and computes every later layer honestly from the edited tensor, so the trace is
   * self-consistent after the fault (the hardest case for a bisection to localize).
   */
  tamper?: { step: number; edit: (q: Int32Array) => void };
}

/** Runs the model on `input` and commits to its trace (the honest operator's, auditor's and challenger's computation). */
export function executeTrace(model: QuantizedModel, input: Record<string, ArrayLike<number>>, opts: ExecuteOptions = {}): ExecutedTrace {
  const run = runQuantized(model, input, { trace: true, strict: opts.strict ?? false });
  const env = run.trace;
  let outputs = run.outputs.map((o) => ({ name: o.name, q: o.q }));
  if (opts.tamper) {
    const { step, edit } = opts.tamper;
    if (!Number.isInteger(step) || step < 1 || step > model.layers.length) throw new MarketError('BadRequest', `tamper step: expected 1..${model.layers.length}, got ${step}`);
    const out = model.layers[step - 1].output;
    const q = env.get(out)!.slice();
    edit(q);
    env.set(out, q);
    for (let k = step + 1; k <= model.layers.length; k++) env.set(model.layers[k - 1].output, runStep(model, k, env));
    outputs = model.outputs.map((o) => ({ name: o.name, q: env.get(o.name)! }));
  }
  const info = tensorInfos(model);
  const digests = [inputDigest(model, env)];
  model.layers.forEach((L, i) => digests.push(tensorDigest(i + 1, L.output, info.get(L.output)!.dims, env.get(L.output)!)));
  digests.push(outputDigest(outputs));
  return { outputs, tensors: env, commitment: commitDigests(digests) };
}

const infoCache = new WeakMap<QuantizedModel, Map<string, QTensorInfo>>();
const producerCache = new WeakMap<QuantizedModel, Map<string, number>>();

function tensorInfos(model: QuantizedModel): Map<string, QTensorInfo> {
  let m = infoCache.get(model);
  if (!m) {
    m = new Map([...model.inputs, ...model.tensors].map((t) => [t.name, t]));
    infoCache.set(model, m);
  }
  return m;
}

/** Trace step that produces each tensor: 0 for model inputs, k for layer k's output. */
function producers(model: QuantizedModel): Map<string, number> {
  let m = producerCache.get(model);
  if (!m) {
    m = new Map(model.inputs.map((i) => [i.name, 0]));
    model.layers.forEach((L, i) => m!.set(L.output, i + 1));
    producerCache.set(model, m);
  }
  return m;
}

/** Names of the trace tensors step k reads (its layer's non-constant inputs; the model outputs for k = n+1). */
export function stepReads(model: QuantizedModel, k: number): string[] {
  const n = model.layers.length;
  if (!Number.isInteger(k) || k < 1 || k > n + 1) throw new MarketError('BadRequest', `expected a step in [1, ${n + 1}], got ${k}`);
  const names = k === n + 1 ? model.outputs.map((o) => o.name) : model.layers[k - 1].inputs.filter((nm) => !(nm in model.consts));
  return [...new Set(names)];
}

// ---------------------------------------------------------------------------------------------
// Wire forms: 32-byte values as hex, tensors as base64 of int32 little-endian.

export function tensorToWire(q: Int32Array): string {
  return Buffer.from(bytesOf(q)).toString('base64');
}

export function tensorFromWire(s: unknown, what: string): Int32Array {
  if (typeof s !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(s)) throw new MarketError('BadRequest', `${what}: expected base64 of int32 little-endian values`);
  const b = Buffer.from(s, 'base64');
  if (b.length % 4 !== 0) throw new MarketError('BadRequest', `${what}: ${b.length} bytes is not a whole number of int32 values`);
  const q = new Int32Array(b.length / 4);
  new Uint8Array(q.buffer).set(b);
  return q;
}

export function hashFromWire(s: unknown, what: string): Uint8Array {
  if (typeof s !== 'string' || !/^[0-9a-f]{64}$/.test(s)) throw new MarketError('BadRequest', `${what}: expected 64 lowercase hex characters`);
  return fromHex(s);
}

export function outputsToWire(outputs: readonly OutputTensor[]): { name: string; q: string }[] {
  return outputs.map((o) => ({ name: o.name, q: tensorToWire(o.q) }));
}

export function outputsFromWire(v: unknown, maxValues: number): OutputTensor[] {
  if (!Array.isArray(v) || v.length === 0 || v.length > 64) throw new MarketError('BadRequest', "expected 'outputs' a list of 1 to 64 {name, q} objects");
  let total = 0;
  return v.map((o, i) => {
    if (typeof o !== 'object' || o === null || typeof (o as { name?: unknown }).name !== 'string') throw new MarketError('BadRequest', `outputs[${i}]: expected {name, q}`);
    const q = tensorFromWire((o as { q?: unknown }).q, `outputs[${i}].q`);
    total += q.length;
    if (total > maxValues) throw new MarketError('BadRequest', `outputs: more than ${maxValues} values`);
    return { name: (o as { name: string }).name, q };
  });
}

export function outputsEqual(a: readonly OutputTensor[], b: readonly { name: string; q: ArrayLike<number> }[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    if (a[i].name !== b[i].name || a[i].q.length !== b[i].q.length) return false;
    for (let j = 0; j < a[i].q.length; j++) if (a[i].q[j] !== b[i].q[j]) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Openings of leaves.

/** The last two leaves with one multi-opening: what a submission (or a challenge) reveals. */
export interface TraceClaim {
  root: string;
  steps: number;
  /** h_{N−2}, h_{N−1} */
  last: [string, string];
  proof: string;
}

export function traceClaim(c: TraceCommitment): TraceClaim {
  const N = c.leaves.length;
  return { root: toHex(c.root), steps: N, last: [toHex(c.leaves[N - 2]), toHex(c.leaves[N - 1])], proof: toHex(merkleOpen(c.tree, [N - 2, N - 1]).nodes) };
}

function proofFromWire(s: unknown, what: string): Uint8Array {
  if (typeof s !== 'string' || s.length % 64 !== 0 || s.length > 64 * 64 || !/^[0-9a-f]*$/.test(s)) throw new MarketError('BadRequest', `${what}: expected Merkle proof nodes as hex (64 characters each)`);
  return fromHex(s);
}

/**
 * Checks a claim's shape, its multi-opening against its root, and that its last leaf binds
 * `outputs`: h_{N−1} = chain(h_{N−2}, t_{n+1}(outputs)). `steps` must be the model's step count.
 */
export function checkBinding(claim: unknown, steps: number, outputs: readonly OutputTensor[]): TraceClaim {
  if (typeof claim !== 'object' || claim === null) throw new MarketError('BadRequest', "expected 'trace' {root, steps, last, proof}");
  const c = claim as Record<string, unknown>;
  const root = hashFromWire(c.root, 'trace.root');
  if (c.steps !== steps) throw new MarketError('BadProof', `trace.steps: expected ${steps} (this model's trace: input, ${steps - 2} layers, output), got ${JSON.stringify(c.steps)}`);
  if (!Array.isArray(c.last) || c.last.length !== 2) throw new MarketError('BadRequest', 'trace.last: expected [h_{N-2}, h_{N-1}]');
  const a = hashFromWire(c.last[0], 'trace.last[0]');
  const b = hashFromWire(c.last[1], 'trace.last[1]');
  const proof = proofFromWire(c.proof, 'trace.proof');
  const leaves = new Uint8Array(64);
  leaves.set(a, 0);
  leaves.set(b, 32);
  const v = merkleVerifyMulti(root, merkleDepth(steps), [steps - 2, steps - 1], leaves, { nodes: proof });
  if (!v.ok) throw new MarketError('BadProof', `trace: the opening of the last two leaves does not verify against the root (${v.error.kind})`);
  if (!bytesEqual(chainLeaf(a, outputDigest(outputs)), b)) throw new MarketError('BadProof', 'trace: the last leaf does not commit to the submitted outputs (h_{N-1} ≠ chain(h_{N-2}, outputs digest))');
  return { root: c.root as string, steps, last: [c.last[0] as string, c.last[1] as string], proof: c.proof as string };
}

export interface LeafOpening {
  leaf: string;
  proof: string;
}

export function openLeaf(c: TraceCommitment, i: number): LeafOpening {
  return { leaf: toHex(c.leaves[i]), proof: toHex(merkleOpen(c.tree, [i]).nodes) };
}

/** Checks an opening of leaf i against a root; returns the leaf (hex). Throws BadProof / BadRequest. */
export function checkLeaf(root: string, steps: number, i: number, opening: unknown): string {
  if (typeof opening !== 'object' || opening === null) throw new MarketError('BadRequest', 'expected {leaf, proof}');
  const o = opening as Record<string, unknown>;
  const leaf = hashFromWire(o.leaf, 'leaf');
  const v = merkleVerifyMulti(fromHex(root), merkleDepth(steps), [i], leaf, { nodes: proofFromWire(o.proof, 'proof') });
  if (!v.ok) throw new MarketError('BadProof', `leaf ${i}: the Merkle path does not verify against the committed root (${v.error.kind})`);
  return o.leaf as string;
}

// ---------------------------------------------------------------------------------------------
// Settling one step by re-execution.

/** What a party reveals to settle step k: the prefix digests t_0..t_{k−1} and the tensors step k reads. */
export interface StepOpening {
  prefix: string[];
  tensors: Record<string, string>;
}

/** The honest opening of step k from an executed trace. */
export function openStep(model: QuantizedModel, t: ExecutedTrace, k: number): StepOpening {
  const prefix = t.commitment.digests.slice(0, k).map(toHex);
  const tensors: Record<string, string> = {};
  const prod = producers(model);
  for (const nm of stepReads(model, k)) if (prod.get(nm)! > 0) tensors[nm] = tensorToWire(t.tensors.get(nm)!);
  return { prefix, tensors };
}

/**
 * The correct leaf h_0 (k = 0), computed from the job's input alone.
 */
export function inputLeaf(model: QuantizedModel, input: Record<string, ArrayLike<number>>): Uint8Array {
  return inputDigest(model, quantizedInputs(model, input));
}

/**
 * Checks a party's opening of step k ≥ 1 against the agreed leaf h_{k−1} and returns the correct
 * h_k (see the header), or null when the layer has no value on these inputs (the interpreter
 * refuses them: a division by zero, a value outside a table's domain — then no claim is right).
 * Throws BadProof (with the failed check) for a wrong opening.
 */
export function settleStep(model: QuantizedModel, input: Record<string, ArrayLike<number>>, k: number, agreed: Uint8Array, opening: unknown): Uint8Array | null {
  const n = model.layers.length;
  if (typeof opening !== 'object' || opening === null) throw new MarketError('BadRequest', 'expected an opening {prefix, tensors}');
  const o = opening as Record<string, unknown>;
  if (!Array.isArray(o.prefix) || o.prefix.length !== k) throw new MarketError('BadProof', `opening.prefix: expected the ${k} digests t_0..t_${k - 1}, got ${Array.isArray(o.prefix) ? o.prefix.length : 'none'}`);
  const prefix = o.prefix.map((h, j) => hashFromWire(h, `opening.prefix[${j}]`));
  const qIn = quantizedInputs(model, input);
  if (!bytesEqual(prefix[0], inputDigest(model, qIn))) throw new MarketError('BadProof', "opening: t_0 is not the digest of this job's quantized input");
  let h = prefix[0];
  for (let j = 1; j < k; j++) h = chainLeaf(h, prefix[j]);
  if (!bytesEqual(h, agreed)) throw new MarketError('BadProof', `opening: the prefix digests do not chain to the agreed leaf h_${k - 1}`);
  const info = tensorInfos(model);
  const prod = producers(model);
  const revealed = typeof o.tensors === 'object' && o.tensors !== null ? (o.tensors as Record<string, unknown>) : {};
  const env = new Map<string, Int32Array>();
  for (const nm of stepReads(model, k)) {
    const j = prod.get(nm);
    if (j === undefined || j >= k) throw new MarketError('BadModel', `step ${k} reads '${nm}', which no earlier step produces`);
    if (j === 0) {
      env.set(nm, qIn.get(nm)!);
      continue;
    }
    const q = tensorFromWire(revealed[nm], `opening.tensors['${nm}']`);
    const dims = info.get(nm)!.dims;
    if (q.length !== sizeOf(dims)) throw new MarketError('BadProof', `opening: tensor '${nm}' has ${q.length} values, expected ${sizeOf(dims)} for shape [${dims}]`);
    if (!bytesEqual(tensorDigest(j, nm, dims, q), prefix[j])) throw new MarketError('BadProof', `opening: tensor '${nm}' does not hash to t_${j}`);
    env.set(nm, q);
  }
  let t: Uint8Array;
  if (k === n + 1) t = outputDigest(model.outputs.map((x) => ({ name: x.name, q: env.get(x.name)! })));
  else {
    let q: Int32Array;
    try {
      q = runStep(model, k, env);
    } catch (e) {
      if (e instanceof ModelError) return null;
      throw e;
    }
    t = tensorDigest(k, model.layers[k - 1].output, info.get(model.layers[k - 1].output)!.dims, q);
  }
  return chainLeaf(h, t);
}

/** Layer k alone, through the interpreter: a one-layer model whose constants are its inputs. */
function runStep(model: QuantizedModel, k: number, env: Map<string, Int32Array>): Int32Array {
  const L = model.layers[k - 1];
  const info = tensorInfos(model);
  const consts: Record<string, QConst> = {};
  for (const nm of L.inputs) {
    const c = model.consts[nm];
    consts[nm] = c ?? { dims: info.get(nm)!.dims, exp: info.get(nm)!.exp, data: env.get(nm)! };
  }
  const out = info.get(L.output)!;
  const one: QuantizedModel = { ...model, inputs: [], outputs: [out], tensors: [out], consts, layers: [L] };
  return runQuantized(one, {}, { strict: false }).outputs[0].q;
}
