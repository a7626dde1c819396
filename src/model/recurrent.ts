/**
 * LSTM, GRU and RNN unrolled over their static sequence length into plain ops (Gather/Slice/
 * Unsqueeze/Concat, Gemm with the weight initializers, Add, Sub, Mul, Sigmoid, Tanh, Relu, …), so
 * every later stage (quantization, proving, verification) sees only layers it already proves. The
 * unrolled graph is what is proven; its weights are slices of the node's own W, R, B and P, so the
 * model ID commits to the same weights. Equations (ONNX, per direction, gates as row blocks of W/R):
 *   RNN   H = f(X·Wᵀ + H₋·Rᵀ + Wb + Rb)
 *   GRU   z = f(X·Wzᵀ + H₋·Rzᵀ + b_z),  r = f(…_r),  h̃ = g(X·Whᵀ + (r⊙H₋)·Rhᵀ + Rbh + Wbh)
 *         (linear_before_reset: g(X·Whᵀ + r⊙(H₋·Rhᵀ + Rbh) + Wbh)),  H = h̃ + z⊙(H₋ − h̃)
 *   LSTM  i = f(X·Wiᵀ + H₋·Riᵀ + Pi⊙C₋ + b_i), f, c̃ = g(…), C = f⊙C₋ + i⊙c̃,
 *         o = f(… + Po⊙C), H = o⊙h(C)   (gate blocks in the order i, o, f, c)
 * The input and recurrent terms of a step are one Gemm of Concat(x, H₋) with [W | R] (one rounding
 * in the integer model instead of three: two products and their sum). `clip` bounds every
 * activation's input; `activations` may name any function here that is an ONNX operator (Affine
 * and ScaledTanh are refused by name). A missing initial state is zero, so its terms are left out
 * instead of multiplied by zero. A
 * constant sequence_lens shorter than the sequence stops the recurrence (Y is zero past it); when
 * the lengths differ per batch row each row is unrolled on its own and the rows concatenated.
 */
import { ModelError } from './errors.js';
import type { Node } from './graph.js';
import { NodeBuilder, type RewriteContext } from './builder.js';
import type { Tensor } from './tensor.js';
import { attrFloat, attrInt, attrStr } from '../ops/op.js';

export const RECURRENT_OPS = new Set(['RNN', 'GRU', 'LSTM']);
type Cell = 'RNN' | 'GRU' | 'LSTM';

const GATES: Record<Cell, number> = { RNN: 1, GRU: 3, LSTM: 4 };
const DEFAULT_ACTS: Record<Cell, string[]> = { RNN: ['Tanh'], GRU: ['Sigmoid', 'Tanh'], LSTM: ['Sigmoid', 'Tanh', 'Tanh'] };

/** The ONNX activation names an RNN op accepts that are ONNX operators here, with their parameters. */
const ACTIVATIONS: Record<string, { op: string; alpha?: number; beta?: number }> = {
  relu: { op: 'Relu' }, tanh: { op: 'Tanh' }, sigmoid: { op: 'Sigmoid' }, softsign: { op: 'Softsign' }, softplus: { op: 'Softplus' },
  leakyrelu: { op: 'LeakyRelu', alpha: 0.01 }, thresholdedrelu: { op: 'ThresholdedRelu', alpha: 1 }, elu: { op: 'Elu', alpha: 1 },
  hardsigmoid: { op: 'HardSigmoid', alpha: 0.2, beta: 0.5 },
};

interface Act { op: string; attrs: Record<string, number> }

/** One direction's weights: W [G·H, I], R [G·H, H], the two biases [G·H], peepholes [3H]. */
interface DirWeights { W: Float64Array; R: Float64Array; Wb: Float64Array; Rb: Float64Array; P?: Float64Array }

export function unrollRecurrent(n: Node, ctx: RewriteContext): Node[] {
  const cell = n.opType as Cell;
  const where = `${cell} '${n.name}'`;
  const fail = (msg: string) => new ModelError('Unsupported', `${where}: ${msg}`, n.name);
  const constant = (i: number, what: string): Tensor | undefined => {
    const nm = n.inputs[i];
    if (!nm) return undefined;
    const t = ctx.consts.get(nm);
    if (!t) throw fail(`${what} ('${nm}') is computed at run time; only a constant ${what} can be unrolled`);
    return t;
  };
  const W = constant(1, 'W');
  const R = constant(2, 'R');
  if (!W || !R) throw new ModelError('InvalidGraph', `${where}: inputs W and R are required`, n.name);
  const B = constant(3, 'B');
  const seqLens = constant(4, 'sequence_lens');
  const P = cell === 'LSTM' ? constant(7, 'P (peepholes)') : undefined;

  const xDims = ctx.dims(n.inputs[0]);
  if (!xDims || xDims.length !== 3) throw new ModelError('InvalidGraph', `${where}: X must have rank 3, got [${xDims ?? ''}]`, n.name);
  const layout = attrInt(n, 'layout', 0);
  if (layout !== 0 && layout !== 1) throw fail(`attribute layout = ${layout}; expected 0 or 1`);
  const [seq, batch, I] = layout === 0 ? xDims : [xDims[1], xDims[0], xDims[2]];
  const direction = attrStr(n, 'direction', 'forward');
  if (!['forward', 'reverse', 'bidirectional'].includes(direction)) throw fail(`attribute direction = '${direction}'; expected forward, reverse or bidirectional`);
  const nd = direction === 'bidirectional' ? 2 : 1;
  const G = GATES[cell];
  const H = R.dims[2];
  if (attrInt(n, 'hidden_size', H) !== H) throw fail(`hidden_size = ${attrInt(n, 'hidden_size', H)} but R has shape [${R.dims}]`);
  const expect = (t: Tensor | undefined, nm: string, dims: number[]) => {
    if (t && (t.dims.length !== dims.length || t.dims.some((d, k) => d !== dims[k]))) throw new ModelError('InvalidGraph', `${where}: ${nm} has shape [${t.dims}], expected [${dims}]`, n.name);
  };
  expect(W, 'W', [nd, G * H, I]);
  expect(R, 'R', [nd, G * H, H]);
  expect(B, 'B', [nd, 2 * G * H]);
  expect(P, 'P', [nd, 3 * H]);
  if (cell === 'LSTM' && attrInt(n, 'input_forget', 0) !== 0) throw fail('attribute input_forget = 1 (coupled input and forget gates) is not supported');
  const lbr = cell === 'GRU' ? attrInt(n, 'linear_before_reset', 0) !== 0 : false;
  const clipAttr = n.attrs.clip;
  const clip = typeof clipAttr === 'number' ? clipAttr : undefined;
  const acts = activations(n, cell, nd, fail);

  let lens = new Array<number>(batch).fill(seq);
  if (seqLens) {
    if (seqLens.data.length !== batch) throw new ModelError('InvalidGraph', `${where}: sequence_lens has ${seqLens.data.length} values for batch ${batch}`, n.name);
    lens = Array.from(seqLens.data);
    for (const L of lens) if (!Number.isInteger(L) || L < 1 || L > seq) throw fail(`sequence_lens holds ${L}; each length must be between 1 and the sequence length ${seq}`);
  }
  const groups: { rows: number[] | null; L: number }[] = lens.every((L) => L === lens[0]) ? [{ rows: null, L: lens[0] }] : lens.map((L, b) => ({ rows: [b], L }));

  const b = new NodeBuilder(ctx, n.name);
  const timeAxis = layout === 0 ? 0 : 1;
  const dirAxis = layout === 0 ? 0 : 1; // of initial_h / Y_h: [nd, batch, H] or [batch, nd, H]
  const xt: string[] = [];
  const xAt = (t: number) => (xt[t] ??= b.pick(n.inputs[0], t, timeAxis, `x${t}`));
  const rowsOf = (x: string, rows: number[] | null, base: string) => (rows ? b.op('Gather', [x, b.ints(`${base}_rows`, [rows.length], rows)], { axis: 0 }, undefined, base) : x);
  const state = (i: number, d: number, rows: number[] | null, base: string) => (n.inputs[i] ? rowsOf(b.pick(n.inputs[i], d, dirAxis, `${base}0`), rows, `${base}0`) : null);

  const hs: string[][] = []; // [direction][time] → [batch, H]
  const hLast: string[] = [];
  const cLast: string[] = [];
  for (let d = 0; d < nd; d++) {
    const reverse = direction === 'reverse' || d === 1;
    const w = dirWeights(W, R, B, P, d, G, H, I);
    const cw = cellConsts(b, cell, w, G, H, I, lbr, d);
    const perGroup = groups.map(({ rows, L }) => {
      let h = state(5, d, rows, `d${d}/h`);
      let c = cell === 'LSTM' ? state(6, d, rows, `d${d}/c`) : null;
      const out: (string | null)[] = new Array(seq).fill(null);
      for (let k = 0; k < L; k++) {
        const t = reverse ? L - 1 - k : k;
        const x = rowsOf(xAt(t), rows, `d${d}/x${t}`);
        const s = step(b, cell, cw, acts.slice(d * acts.length / nd, (d + 1) * acts.length / nd), clip, lbr, H, x, h, c, `d${d}/t${t}`);
        h = s.h;
        c = s.c;
        out[t] = h;
      }
      return { out, h: h!, c };
    });
    const rowsB = groups.length === 1 ? batch : 1;
    const zero = () => b.floats(`d${d}/zero`, [rowsB, H], new Float64Array(rowsB * H));
    hs.push(Array.from({ length: seq }, (_, t) => b.concat(perGroup.map((g) => g.out[t] ?? zero()), 0)));
    hLast.push(b.concat(perGroup.map((g) => g.h), 0));
    if (cell === 'LSTM') cLast.push(b.concat(perGroup.map((g) => g.c!), 0));
  }
  const [Y, Yh, Yc] = n.outputs;
  if (Y) b.concat(Array.from({ length: seq }, (_, t) => b.unsqueeze(b.stack(hs.map((dh) => dh[t]), dirAxis), [timeAxis])), timeAxis, Y);
  if (Yh) b.stack(hLast, dirAxis, Yh);
  if (Yc) b.stack(cLast, dirAxis, Yc);
  return b.nodes;
}

function activations(n: Node, cell: Cell, nd: number, fail: (m: string) => Error): Act[] {
  const given = n.attrs.activations;
  const names = Array.isArray(given) && given.length ? (given as string[]) : Array.from({ length: nd }, () => DEFAULT_ACTS[cell]).flat();
  if (names.length !== DEFAULT_ACTS[cell].length * nd) throw fail(`attribute activations lists ${names.length} functions; expected ${DEFAULT_ACTS[cell].length * nd}`);
  const alphas = (n.attrs.activation_alpha as number[] | undefined) ?? [];
  const betas = (n.attrs.activation_beta as number[] | undefined) ?? [];
  let ai = 0;
  let bi = 0;
  return names.map((nm) => {
    const a = ACTIVATIONS[String(nm).toLowerCase()];
    if (!a) throw fail(`attribute activations names '${nm}', which is not supported (supported: ${Object.values(ACTIVATIONS).map((v) => v.op).join(', ')})`);
    const attrs: Record<string, number> = {};
    // alphas and betas are consumed in order by the functions that take them
    if (a.alpha !== undefined) attrs.alpha = ai < alphas.length ? alphas[ai++] : a.alpha;
    if (a.beta !== undefined) attrs.beta = bi < betas.length ? betas[bi++] : a.beta;
    return { op: a.op, attrs };
  });
}

function dirWeights(W: Tensor, R: Tensor, B: Tensor | undefined, P: Tensor | undefined, d: number, G: number, H: number, I: number): DirWeights {
  const GH = G * H;
  return {
    W: W.data.slice(d * GH * I, (d + 1) * GH * I),
    R: R.data.slice(d * GH * H, (d + 1) * GH * H),
    Wb: B ? B.data.slice(d * 2 * GH, d * 2 * GH + GH) : new Float64Array(GH),
    Rb: B ? B.data.slice(d * 2 * GH + GH, (d + 1) * 2 * GH) : new Float64Array(GH),
    P: P ? P.data.slice(d * 3 * H, (d + 1) * 3 * H) : undefined,
  };
}

/** One direction's constants, as initializer names: the Gemm weights and biases of its gates. */
interface CellConsts {
  /** input weights and bias (all gates; GRU: z and r only, `Wh` holds the candidate's), and [W | R] side by side */
  W: string; bias: string; WR: string;
  /** GRU: the candidate gate's weights, biases (input and recurrent) */
  Wh?: string; biasH?: string; Rh?: string; Rbh?: string;
  /** LSTM peepholes [H] each (i, o, f) */
  Pi?: string; Po?: string; Pf?: string;
}

function cellConsts(b: NodeBuilder, cell: Cell, w: DirWeights, G: number, H: number, I: number, lbr: boolean, d: number): CellConsts {
  const rows = (m: Float64Array, lo: number, hi: number, K: number) => m.slice(lo * K, hi * K);
  const add = (a: Float64Array, c: Float64Array) => a.map((v, i) => v + c[i]);
  const p = `d${d}/`;
  const joined = (Wm: Float64Array, Rm: Float64Array, n: number) => {
    const out = new Float64Array(n * (I + H));
    for (let r = 0; r < n; r++) {
      out.set(Wm.subarray(r * I, (r + 1) * I), r * (I + H));
      out.set(Rm.subarray(r * H, (r + 1) * H), r * (I + H) + I);
    }
    return b.floats(`${p}WR`, [n, I + H], out);
  };
  if (cell !== 'GRU') {
    const cc: CellConsts = {
      W: b.floats(`${p}W`, [G * H, I], w.W),
      bias: b.floats(`${p}bias`, [G * H], add(w.Wb, w.Rb)),
      WR: joined(w.W, w.R, G * H),
    };
    if (w.P) {
      cc.Pi = b.floats(`${p}Pi`, [H], w.P.slice(0, H));
      cc.Po = b.floats(`${p}Po`, [H], w.P.slice(H, 2 * H));
      cc.Pf = b.floats(`${p}Pf`, [H], w.P.slice(2 * H, 3 * H));
    }
    return cc;
  }
  const Wbh = w.Wb.slice(2 * H);
  const Rbh = w.Rb.slice(2 * H);
  return {
    W: b.floats(`${p}Wzr`, [2 * H, I], rows(w.W, 0, 2 * H, I)),
    bias: b.floats(`${p}bias_zr`, [2 * H], add(w.Wb.slice(0, 2 * H), w.Rb.slice(0, 2 * H))),
    WR: joined(rows(w.W, 0, 2 * H, I), rows(w.R, 0, 2 * H, H), 2 * H),
    Wh: b.floats(`${p}Wh`, [H, I], rows(w.W, 2 * H, 3 * H, I)),
    biasH: b.floats(`${p}bias_h`, [H], lbr ? Wbh : add(Wbh, Rbh)),
    Rh: b.floats(`${p}Rh`, [H, H], rows(w.R, 2 * H, 3 * H, H)),
    ...(lbr && Rbh.some((v) => v !== 0) ? { Rbh: b.floats(`${p}Rbh`, [H], Rbh) } : {}),
  };
}

/** One time step of one direction: the new hidden state (and cell state for LSTM). */
function step(b: NodeBuilder, cell: Cell, w: CellConsts, acts: Act[], clip: number | undefined, lbr: boolean, H: number, x: string, h: string | null, c: string | null, at: string): { h: string; c: string | null } {
  const gemm = (a: string, W: string, bias: string | undefined, base: string) => b.op('Gemm', bias ? [a, W, bias] : [a, W], { transB: 1 }, undefined, `${at}/${base}`);
  const add = (p: string, q: string) => b.op('Add', [p, q], {}, undefined, `${at}/add`);
  const mul = (p: string, q: string) => b.op('Mul', [p, q], {}, undefined, `${at}/mul`);
  const act = (f: Act, v: string, base: string) => {
    const pre = clip === undefined ? v : b.op('Clip', [v, b.floats(`${at}/clip_lo`, [], Float64Array.of(-clip)), b.floats(`${at}/clip_hi`, [], Float64Array.of(clip))], {}, undefined, `${at}/clip`);
    return b.op(f.op, [pre], f.attrs, undefined, `${at}/${base}`);
  };
  const gate = (v: string, k: number) => b.slice(v, k * H, (k + 1) * H, 1, `${at}/gate${k}`);
  // [x, h]·[W | R]ᵀ + b: one product and one rounding for the input and the recurrent terms
  const both = (hv: string, base: string) => gemm(b.concat([x, hv], 1), w.WR, w.bias, base);
  if (cell === 'RNN') {
    const pre = h ? both(h, 'xhw') : gemm(x, w.W, w.bias, 'xw');
    return { h: act(acts[0], pre, 'h'), c: null };
  }
  if (cell === 'GRU') {
    const zrPre = h ? both(h, 'xhw_zr') : gemm(x, w.W, w.bias, 'xw_zr');
    const zr = clip === undefined ? zrPre : b.op('Clip', [zrPre, b.floats(`${at}/clip_lo`, [], Float64Array.of(-clip)), b.floats(`${at}/clip_hi`, [], Float64Array.of(clip))], {}, undefined, `${at}/clip`);
    const z = b.op(acts[0].op, [gate(zr, 0)], acts[0].attrs, undefined, `${at}/z`);
    const r = b.op(acts[0].op, [gate(zr, 1)], acts[0].attrs, undefined, `${at}/r`);
    const xh = gemm(x, w.Wh!, w.biasH, 'xw_h');
    let hPre = xh;
    if (h && !lbr) hPre = add(xh, gemm(mul(r, h), w.Rh!, undefined, 'rh_r'));
    else if (h && lbr) hPre = add(xh, mul(r, gemm(h, w.Rh!, w.Rbh, 'hr_h')));
    else if (lbr && w.Rbh) hPre = add(xh, mul(r, w.Rbh));
    const cand = act(acts[1], hPre, 'cand');
    // H = (1 − z)⊙h̃ + z⊙H₋ = h̃ + z⊙(H₋ − h̃)
    const next = h ? add(cand, mul(z, b.op('Sub', [h, cand], {}, undefined, `${at}/sub`))) : b.op('Sub', [cand, mul(z, cand)], {}, undefined, `${at}/sub`);
    return { h: next, c: null };
  }
  const gates = h ? both(h, 'xhw') : gemm(x, w.W, w.bias, 'xw');
  const peep = (v: string, P: string | undefined, s: string | null) => (P && s ? add(v, mul(s, P)) : v);
  const i = act(acts[0], peep(gate(gates, 0), w.Pi, c), 'i');
  const f = act(acts[0], peep(gate(gates, 2), w.Pf, c), 'f');
  const cand = act(acts[1], gate(gates, 3), 'cand');
  const ic = mul(i, cand);
  const C = c ? add(mul(f, c), ic) : ic;
  const o = act(acts[0], peep(gate(gates, 1), w.Po, C), 'o');
  return { h: mul(o, act(acts[2], C, 'hc')), c: C };
}
