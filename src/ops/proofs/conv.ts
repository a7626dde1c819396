/**
 * Conv (1-D and 2-D, NCHW, any stride / padding / dilation / group) — proof. Output y [B, Co, OH, OW]
 * from x [B, C, H, W] (a 1-D conv is H = OH = KH = 1, which adds no variables), weight param
 * W [Co, Cg, KH, KW] (Cg = C/group, Cog = Co/group), per-channel bias, per-channel shift:
 *   acc[b,co,y,x] = Σ_{c'<Cg, i<KH, j<KW} W[co,c',i,j]·X[b, g(co)·Cg + c', y·sh + i·dh − pt, x·sw + j·dw − pl]
 *                 + bias[co]        (X = 0 outside the image, g(co) = ⌊co/Cog⌋),
 * then the requantisation of `circuit/requant.ts` with shiftCoeffs(shift[co]) — `convKernel` exactly.
 *
 * After the requantisation leaves acc~(ρ), ρ = (ρ_x, ρ_y, ρ_co, ρ_b), two degree-2 sumchecks
 * (PROTOCOL-NOTES §4, im2col). With U[b,c,i,j,y,x] = X[b, c, y·sh + i·dh − pt, x·sw + j·dw − pl]
 * for real (c, i, j, y, x, b) and 0 on every padded index, and κ = (j, i, c') the weight's low
 * variables:
 *  1. product. group = 1: acc~(ρ) − β = Σ_κ W~(κ, ρ_co)·U~(κ, ρ_y, ρ_x, ρ_b), Thaler's matmul.
 *     group > 1: acc~(ρ) − β = Σ_{κ,co} W(κ, co)·U'(κ, co), U'(κ, co) = eq(ρ_co, co)·U(g(co)·Cg + c', …),
 *     over the weight's whole layout. β = bias~(ρ_co)·χ~_{B,OH,OW}(ρ_b, ρ_y, ρ_x) as in gemm. The weight
 *     claim goes to the parameter opening; the U (or U') value u at σ = (σ_j, σ_i, σ_c'[, σ_co]) on.
 *  2. wiring: u = Σ_{b,c,h,w} Eb(b)·Ec(c)·A(h)·Bw(w)·X[b,c,h,w], a tensor-product weight
 *       A(h)  = Σ_{i<KH, y<OH, y·sh + i·dh − pt = h} eq(σ_i, i)·eq(ρ_y, y)   (h < H, else 0),
 *       Bw(w) likewise with (σ_j, ρ_x, sw, dw, pl), Eb(b) = eq(ρ_b, b)·[b < B],
 *       Ec(c) = eq(σ_c', c)·[c < C]  (group = 1), or
 *       Ec(c) = Σ_{co<Co, c'<Cg, g(co)·Cg + c' = c} eq(σ_co, co)·eq(ρ_co, co)·eq(σ_c', c')  (group > 1).
 *     At its point τ the prover sends X~(τ) (a claim on x) and the verifier computes the weight's MLE,
 *     Eb~·Ec~·A~·Bw~ at τ, in O(KH·OH + KW·OW + H + W + B + Co·Cg) from the public geometry.
 * Padding: the wiring weights are zero on every padded x index and U is zero on every padded κ, so
 * nothing in x's or W's padding reaches a real output; y and the remainders have proven-zero
 * padding from the requantisation, and acc's padding never enters it (a = 0 there).
 * No wrap: |acc| ≤ max|x|·max|w|·Cg·KH·KW + max|bias| < p is checked by the requantisation plan.
 * Prover cost: the U table (C·KH row combinations of X plus C·KH·KW dot products) and sumchecks over
 * |W| (or Cg·KH·KW) and |x| entries; acc comes from the integer kernel itself.
 */
import { type Ext, ext, extEquals, extMul } from '../../field/extension.js';
import { P } from '../../field/babybear.js';
import { kernels } from '../../field/active.js';
import type { ConvLayer } from '../../quantize/layers.js';
import { convKernel } from '../kernels/linear.js';
import { chiEval, layoutOf, type Layout } from '../../circuit/layout.js';
import { clear, PRODUCT_OF_TWO, vScale, vSub, type Val } from '../../circuit/values.js';
import { CircuitError, type LayerProtocol, type PlanContext, type ProverContext, type VerifierContext } from '../../circuit/protocol.js';
import type { SumcheckProverOutput } from '../../piop/sumcheck.js';
import { planRequant, proveRequant, requantWitness, shiftCoeffs, verifyRequant, type RequantCoeffs, type RequantPlan } from '../../circuit/requant.js';

interface ConvPlan {
  rq: RequantPlan;
  coeffs: RequantCoeffs;
  B: number;
  biasName: string | null;
}

/** Layouts of the 4-D views x [B, C, H, W], y [B, Co, OH, OW] and the weight [Co, Cg, KH, KW]. */
interface Geom {
  B: number;
  Cg: number;
  Cog: number;
  lx: Layout;
  ly: Layout;
  lw: Layout;
  /** number of κ = (j, i, c') variables */
  nK: number;
}

function geom(L: ConvLayer, B: number): Geom {
  const Cg = L.C / L.group;
  const lw = layoutOf([L.Co, Cg, L.KH, L.KW]);
  return { B, Cg, Cog: L.Co / L.group, lx: layoutOf([B, L.C, L.H, L.W]), ly: layoutOf([B, L.Co, L.OH, L.OW]), lw, nK: lw.logs[1] + lw.logs[2] + lw.logs[3] };
}

const maxAbs = (r: { lo: number; hi: number }): number => Math.max(Math.abs(r.lo), Math.abs(r.hi));
/** Variables [from, from + n) of a point. */
const vars = (pt: Uint32Array, from: number, n: number): Uint32Array => pt.subarray(4 * from, 4 * (from + n));

/** ρ over y's layout → (ρ_x, ρ_y, ρ_co, ρ_b). */
function splitY(g: Geom, rho: Uint32Array) {
  const [nb, nco, noh, now] = g.ly.logs;
  return { rx: vars(rho, 0, now), ry: vars(rho, now, noh), rco: vars(rho, now + noh, nco), rb: vars(rho, now + noh + nco, nb) };
}

/** σ over the weight's layout → (σ_j, σ_i, σ_c', σ_co); σ_co is empty for a κ-only point. */
function splitW(g: Geom, s: Uint32Array) {
  const [, ncg, nkh, nkw] = g.lw.logs;
  return { sj: vars(s, 0, nkw), si: vars(s, nkw, nkh), sc: vars(s, nkw + nkh, ncg), sco: s.subarray(4 * (nkw + nkh + ncg)) };
}

/** Output positions o < O reading input position o·s + k·d − p ∈ [0, n): [lo, hi). */
function validRange(O: number, s: number, d: number, p: number, n: number, k: number): [number, number] {
  const lo = Math.max(0, Math.ceil((p - k * d) / s));
  const hi = Math.min(O, Math.floor((n - 1 + p - k * d) / s) + 1);
  return [lo, Math.max(lo, hi)];
}

/** acc[h] += v[o] for h = o·s + k·d − p, o ∈ [lo, hi) (ext vectors; plain adds mod p, no objects). */
function scatterAdd(acc: Uint32Array, v: Uint32Array, lo: number, hi: number, s: number, base: number): void {
  for (let o = lo; o < hi; o++) {
    const a = 4 * (o * s + base);
    const b = 4 * o;
    for (let t = 0; t < 4; t++) {
      const x = acc[a + t] + v[b + t];
      acc[a + t] = x >= P ? x - P : x;
    }
  }
}

/**
 * One axis of the wiring: A[h] = Σ_{k<K, o<O, o·s + k·d − p = h} eqK[k]·eqO[o] for h < n, zero on
 * the padding up to np. eqK = null selects a single tap k (eqK = e_k): the prover's im2col rows.
 */
function axisWiring(eqK: Uint32Array | null, tap: number, K: number, eqO: Uint32Array, O: number, s: number, d: number, p: number, n: number, np: number): Uint32Array {
  const A = new Uint32Array(4 * np);
  const tmp = new Uint32Array(4 * O);
  for (let k = eqK ? 0 : tap; k < (eqK ? K : tap + 1); k++) {
    const [lo, hi] = validRange(O, s, d, p, n, k);
    if (hi <= lo) continue;
    const seg = tmp.subarray(4 * lo, 4 * hi);
    if (eqK) kernels().extScale(seg, eqO.subarray(4 * lo, 4 * hi), eqK.subarray(4 * k, 4 * k + 4));
    else seg.set(eqO.subarray(4 * lo, 4 * hi));
    scatterAdd(A, tmp, lo, hi, s, k * d - p);
  }
  return A;
}

/** Channel factor Ec over the padded C axis (see the header). */
function channelWiring(L: ConvLayer, g: Geom, sc: Uint32Array, sco: Uint32Array, rco: Uint32Array): Uint32Array {
  const Cp = g.lx.pdims[1];
  const Ec = new Uint32Array(4 * Cp);
  const eqC = kernels().eqTable(sc);
  if (L.group === 1) {
    Ec.set(eqC.subarray(0, 4 * L.C));
    return Ec;
  }
  const eqS = kernels().eqTable(sco);
  const eqR = kernels().eqTable(rco);
  for (let co = 0; co < L.Co; co++) {
    const c0 = Math.floor(co / g.Cog) * g.Cg;
    const t = extMul(eqS.subarray(4 * co, 4 * co + 4), eqR.subarray(4 * co, 4 * co + 4));
    kernels().extMulAdd(Ec.subarray(4 * c0, 4 * (c0 + g.Cg)), eqC.subarray(0, 4 * g.Cg), t);
  }
  return Ec;
}

/** The four factors of the wiring weight, each over one padded axis of x. */
function wiringFactors(L: ConvLayer, g: Geom, kappa: Uint32Array, rho: Uint32Array) {
  const { rx, ry, rco, rb } = splitY(g, rho);
  const { sj, si, sc, sco } = splitW(g, kappa);
  const K = kernels();
  const [Bp, , Hp, Wp] = g.lx.pdims;
  const Eb = new Uint32Array(4 * Bp);
  Eb.set(K.eqTable(rb).subarray(0, 4 * g.B));
  const A = axisWiring(K.eqTable(si), 0, L.KH, K.eqTable(ry), L.OH, L.sh, L.dh, L.pt, L.H, Hp);
  const Bw = axisWiring(K.eqTable(sj), 0, L.KW, K.eqTable(rx), L.OW, L.sw, L.dw, L.pl, L.W, Wp);
  return { Eb, Ec: channelWiring(L, g, sc, sco, rco), A, Bw };
}

/**
 * The prover's im2col table at the output point: U[(c·KHp + i)·KWp + j] =
 * Σ_{b,y,x} eq(ρ_b,b)·eq(ρ_y,y)·eq(ρ_x,x)·X[b, c, y·sh + i·dh − pt, x·sw + j·dw − pl] for c < C,
 * i < KH, j < KW (zero elsewhere): per (b, c, i) one row combination of the channel's image with the
 * tap-i row weights, then per j one dot product with the tap-j column weights.
 */
function unfoldAt(L: ConvLayer, g: Geom, xf: Uint32Array, rho: Uint32Array): Uint32Array {
  const K = kernels();
  const { rx, ry, rb } = splitY(g, rho);
  const [, Cp, Hp, Wp] = g.lx.pdims;
  const KHp = g.lw.pdims[2];
  const KWp = g.lw.pdims[3];
  const eqY = K.eqTable(ry);
  const eqX = K.eqTable(rx);
  const eqB = K.eqTable(rb);
  const rows = Array.from({ length: L.KH }, (_, i) => axisWiring(null, i, L.KH, eqY, L.OH, L.sh, L.dh, L.pt, L.H, Hp));
  const cols = Array.from({ length: L.KW }, (_, j) => axisWiring(null, j, L.KW, eqX, L.OW, L.sw, L.dw, L.pl, L.W, Wp));
  const U = new Uint32Array(4 * Cp * KHp * KWp);
  const coef = new Uint32Array(4 * Hp);
  const R = new Uint32Array(4 * Wp);
  const img = Hp * Wp;
  for (let b = 0; b < g.B; b++) {
    const eb = eqB.subarray(4 * b, 4 * b + 4);
    for (let i = 0; i < L.KH; i++) {
      K.extScale(coef, rows[i], eb);
      for (let c = 0; c < L.C; c++) {
        K.combineRows(R, xf.subarray((b * Cp + c) * img, (b * Cp + c + 1) * img), coef, Wp);
        for (let j = 0; j < L.KW; j++) {
          const u = K.extDot(R, cols[j]);
          const o = 4 * ((c * KHp + i) * KWp + j);
          for (let t = 0; t < 4; t++) {
            const v = U[o + t] + u[t];
            U[o + t] = v >= P ? v - P : v;
          }
        }
      }
    }
  }
  return U;
}

/** The wiring weight as a table over x's padded layout (outer product of the four factors). */
function wiringTable(g: Geom, f: ReturnType<typeof wiringFactors>): Uint32Array {
  const K = kernels();
  const [Bp, Cp, Hp, Wp] = g.lx.pdims;
  const img = Hp * Wp;
  const AB = new Uint32Array(4 * img);
  for (let h = 0; h < Hp; h++) K.extScale(AB.subarray(4 * h * Wp, 4 * (h + 1) * Wp), f.Bw, f.A.subarray(4 * h, 4 * h + 4));
  const G = new Uint32Array(4 * Bp * Cp * img);
  for (let b = 0; b < g.B; b++) {
    for (let c = 0; c < Cp; c++) {
      const s = extMul(f.Eb.subarray(4 * b, 4 * b + 4), f.Ec.subarray(4 * c, 4 * c + 4));
      if (s.every((v) => v === 0)) continue;
      K.extScale(G.subarray(4 * (b * Cp + c) * img, 4 * (b * Cp + c + 1) * img), AB, s);
    }
  }
  return G;
}

/** The wiring weight's MLE at τ (x's variables), from the four factors. */
function wiringEval(g: Geom, f: ReturnType<typeof wiringFactors>, tau: Uint32Array): Ext {
  const K = kernels();
  const [nb, nc, nh, nw] = g.lx.logs;
  const at = (v: Uint32Array, from: number, n: number): Ext => K.extDot(v, K.eqTable(vars(tau, from, n)));
  return extMul(extMul(at(f.Bw, 0, nw), at(f.A, nw, nh)), extMul(at(f.Ec, nw + nh, nc), at(f.Eb, nw + nh + nc, nb)));
}

/** Weights, bias and zero shifts: `convKernel` on it returns acc itself (floor((acc + 0)·2^0)). */
const accLayers = new WeakMap<ConvLayer, { w: ArrayLike<number>; bias: ArrayLike<number> | null; layer: ConvLayer }>();

/** acc = Σ W·X + bias from the integer kernel (exact: |acc| < p/2 < 2^31 by the plan). */
export function convAcc(L: ConvLayer, x: ArrayLike<number>, w: ArrayLike<number>, bias: ArrayLike<number> | null): Int32Array {
  let e = accLayers.get(L);
  if (!e || e.w !== w || e.bias !== bias) {
    const layer: ConvLayer = { ...L, w: Int8Array.from(w), bias: bias ? Float64Array.from(bias) : null, shift: new Int32Array(L.Co) };
    e = { w, bias, layer };
    accLayers.set(L, e);
  }
  const xi = x instanceof Int32Array ? x : Int32Array.from(x);
  const out = new Int32Array((xi.length / (L.C * L.H * L.W)) * L.Co * L.OH * L.OW);
  convKernel(e.layer, xi, out);
  return out;
}

function checkGeometry(L: ConvLayer, c: PlanContext): number {
  const bad = (why: string): never => {
    throw new CircuitError(`layer '${L.name}' (Conv): ${why}`, L.name);
  };
  const ints = [L.C, L.H, L.W, L.Co, L.KH, L.KW, L.OH, L.OW, L.sh, L.sw, L.pt, L.pl, L.dh, L.dw, L.group];
  if (!ints.every(Number.isInteger)) bad('non-integer geometry');
  if (!(L.sh >= 1 && L.sw >= 1 && L.dh >= 1 && L.dw >= 1 && L.group >= 1)) bad(`expected strides, dilations and group ≥ 1, got strides [${L.sh}, ${L.sw}], dilations [${L.dh}, ${L.dw}], group ${L.group}`);
  if (L.C % L.group !== 0 || L.Co % L.group !== 0) bad(`expected channels ${L.C} → ${L.Co} divisible by group ${L.group}`);
  const xd = c.dims(L.inputs[0]);
  const yd = c.dims(L.output);
  const B = xd[0];
  const x4 = xd.length === 4 ? xd : xd.length === 3 ? [xd[0], xd[1], 1, xd[2]] : null;
  const y4 = yd.length === 4 ? yd : yd.length === 3 ? [yd[0], yd[1], 1, yd[2]] : null;
  const wantX = [B, L.C, L.H, L.W];
  const wantY = [B, L.Co, L.OH, L.OW];
  if (!x4 || !y4 || x4.some((d, i) => d !== wantX[i]) || y4.some((d, i) => d !== wantY[i])) {
    bad(`input [${xd}] and output [${yd}] do not match the layer's [${wantX}] → [${wantY}]`);
  }
  if (xd.length === 3 && (L.KH !== 1 || L.OH !== 1)) bad('a 1-D convolution must have KH = OH = 1');
  const w = `${L.name}/w`;
  const wd = [L.Co, L.C / L.group, L.KH, L.KW];
  if (!c.isParam(w) || c.dims(w).some((d, i) => d !== wd[i]) || c.dims(w).length !== 4) bad(`weight parameter '${w}' must have dims [${wd}]`);
  const bias = `${L.name}/bias`;
  if (c.isParam(bias) && (c.dims(bias).length !== 1 || c.dims(bias)[0] !== L.Co)) bad(`bias parameter '${bias}' must have dims [${L.Co}]`);
  return B;
}

export const convProof: LayerProtocol<ConvLayer> = {
  plan(L, c: PlanContext) {
    const B = checkGeometry(L, c);
    const yd = c.dims(L.output);
    const P2 = L.OH * L.OW;
    const size = B * L.Co * P2;
    const a = new Float64Array(size);
    const h = new Float64Array(size);
    const d = new Float64Array(size);
    for (let k = 0; k < size; k++) {
      const s = shiftCoeffs(L.shift[Math.floor(k / P2) % L.Co]);
      a[k] = s.a;
      h[k] = s.h;
      d[k] = s.d;
    }
    const biasName = c.isParam(`${L.name}/bias`) ? `${L.name}/bias` : null;
    const biasMax = biasName ? maxAbs(c.range(biasName)) : 0;
    const accMax = maxAbs(c.range(L.inputs[0])) * maxAbs(c.range(`${L.name}/w`)) * (L.C / L.group) * L.KH * L.KW + biasMax;
    const rq = planRequant(L.name, L.output, yd, c.range(L.output), { a, h, d }, accMax);
    return { aux: rq.aux, lookups: rq.lookups, data: { rq: rq.plan, coeffs: { a, h, d }, B, biasName } satisfies ConvPlan };
  },

  witness(L, plan, values) {
    const p = plan.data as ConvPlan;
    const acc = convAcc(L, values(L.inputs[0]), values(`${L.name}/w`), p.biasName ? values(p.biasName) : null);
    return requantWitness(p.rq, p.coeffs, acc, values(L.output));
  },

  prove(L, plan, ctx: ProverContext) {
    const p = plan.data as ConvPlan;
    const g = geom(L, p.B);
    const K = kernels();
    const acc = convAcc(L, ctx.values(L.inputs[0]), ctx.values(`${L.name}/w`), p.biasName ? ctx.values(p.biasName) : null);
    const rq = proveRequant(ctx, p.rq, p.coeffs, acc, L.name);
    const { rco } = splitY(g, rq.point);
    const target = subtractBias(L, p, g, ctx, rq.point, rq.acc);
    const xf = ctx.field(L.inputs[0]);
    const wf = ctx.field(`${L.name}/w`);
    const U = unfoldAt(L, g, xf, rq.point);
    let kappa: Uint32Array;
    let wPoint: Uint32Array;
    let sc: SumcheckProverOutput;
    if (L.group === 1) {
      // Σ_κ W~(κ, ρ_co)·U~(κ, ρ_pix): W's rows combined with eq(ρ_co)
      const Wr = new Uint32Array(4 * 2 ** g.nK);
      K.combineRows(Wr, wf, K.eqTable(rco), 2 ** g.nK);
      sc = ctx.sumcheck({ numVars: g.nK, degree: 2, tables: [Wr, U], terms: [{ coeff: ext(1), factors: [0, 1] }] }, `${L.name}/conv/product`);
      kappa = sc.point;
      wPoint = cat(sc.point, rco);
    } else {
      // Σ_{κ,co} W(κ, co)·eq(ρ_co, co)·U(g(co)·Cg + c', i, j)
      const blk = 2 ** g.nK;
      const chan = g.lw.pdims[2] * g.lw.pdims[3];
      const Ug = new Uint32Array(4 * 2 ** g.lw.numVars);
      const eqR = K.eqTable(rco);
      for (let co = 0; co < L.Co; co++) {
        const c0 = Math.floor(co / g.Cog) * g.Cg;
        K.extScale(Ug.subarray(4 * co * blk, 4 * (co * blk + g.Cg * chan)), U.subarray(4 * c0 * chan, 4 * (c0 + g.Cg) * chan), eqR.subarray(4 * co, 4 * co + 4));
      }
      sc = ctx.sumcheck({ numVars: g.lw.numVars, degree: 2, tables: [wf, Ug], terms: [{ coeff: ext(1), factors: [0, 1] }] }, `${L.name}/conv/product`);
      kappa = sc.point;
      wPoint = sc.point;
    }
    ctx.assert(extEquals(sc.claimedSum, clear(target)), `layer '${L.name}': internal error, the convolution does not match the accumulator`);
    const [we, ue] = sc.finalEvals;
    ctx.send(`${L.name}/conv/product/evals`, cat(we, ue));
    ctx.finalCheck(`${L.name}/conv/product`, PRODUCT_OF_TWO, [we, ue]);
    ctx.claim(`${L.name}/w`, wPoint, we);

    const f = wiringFactors(L, g, kappa, rq.point);
    const wc = ctx.sumcheck({ numVars: g.lx.numVars, degree: 2, tables: [xf, wiringTable(g, f)], terms: [{ coeff: ext(1), factors: [0, 1] }] }, `${L.name}/conv/wiring`);
    ctx.assert(extEquals(wc.claimedSum, ue), `layer '${L.name}': internal error, the im2col table does not match its wiring`);
    ctx.send(`${L.name}/conv/wiring/eval`, wc.finalEvals[0]);
    ctx.finalCheck(`${L.name}/conv/wiring`, [{ coeff: wc.finalEvals[1], factors: [0] }], [wc.finalEvals[0]]);
    ctx.claim(L.inputs[0], wc.point, wc.finalEvals[0]);
  },

  verify(L, plan, ctx: VerifierContext) {
    const p = plan.data as ConvPlan;
    const g = geom(L, p.B);
    const rq = verifyRequant(ctx, p.rq, p.coeffs, L.name);
    const { rco } = splitY(g, rq.point);
    const target = subtractBias(L, p, g, ctx, rq.point, rq.acc);
    const grouped = L.group !== 1;
    const { point: kappa, finalClaim } = ctx.sumcheck(grouped ? g.lw.numVars : g.nK, 2, target, `${L.name}/conv/product`);
    const [we, ue] = ctx.recv(`${L.name}/conv/product/evals`, 2);
    ctx.finalCheck(`${L.name}/conv/product`, finalClaim, PRODUCT_OF_TWO, [we, ue], 'ConvProductMismatch', `layer '${L.name}': W~·U~ does not match the product sumcheck's final claim`);
    ctx.claim(`${L.name}/w`, grouped ? kappa : cat(kappa, rco), we);

    const f = wiringFactors(L, g, kappa, rq.point);
    const { point: tau, finalClaim: fc } = ctx.sumcheck(g.lx.numVars, 2, ue, `${L.name}/conv/wiring`);
    const [xe] = ctx.recv(`${L.name}/conv/wiring/eval`, 1);
    ctx.finalCheck(`${L.name}/conv/wiring`, fc, [{ coeff: wiringEval(g, f, tau), factors: [0] }], [xe], 'ConvWiringMismatch', `layer '${L.name}': X~·wiring~ does not match the wiring sumcheck's final claim`);
    ctx.claim(L.inputs[0], tau, xe);
  },
};

/** acc~(ρ) − bias~(ρ_co)·χ~_{B,OH,OW}; the prover sends bias~(ρ_co), which is claimed on the bias. */
function subtractBias(L: ConvLayer, p: ConvPlan, g: Geom, ctx: ProverContext | VerifierContext, rho: Uint32Array, acc: Val): Val {
  if (!p.biasName) return acc;
  const { rx, ry, rco, rb } = splitY(g, rho);
  let b: Val;
  if (ctx.role === 'prover') {
    const v = kernels().extDotBase(kernels().eqTable(rco), ctx.field(p.biasName));
    ctx.send(`${L.name}/bias/eval`, v);
    b = v;
  } else {
    [b] = ctx.recv(`${L.name}/bias/eval`, 1);
  }
  ctx.claim(p.biasName, rco, b);
  const chi = extMul(chiEval(layoutOf([L.OH, L.OW]), cat(rx, ry)), chiEval(layoutOf([g.B]), rb));
  return vSub(acc, vScale(b, chi));
}

function cat(a: Uint32Array, b: Uint32Array): Uint32Array {
  const o = new Uint32Array(a.length + b.length);
  o.set(a);
  o.set(b, a.length);
  return o;
}
