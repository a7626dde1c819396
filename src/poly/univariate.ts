/**
 * Univariate helpers for sumcheck round messages, which are sent as evaluations
 * s(0), s(1), …, s(d) on the integer nodes {0..d}. `interpolateAt` evaluates the unique
 * degree-≤d polynomial through them at r ∈ K by Lagrange's formula,
 *   s(r) = Σ_i s(i)·Π_{j≠i} (r − j)/(i − j),
 * with the denominators Π_{j≠i}(i − j) = (−1)^(d−i)·i!·(d−i)! inverted once in the base field.
 */
import { P, inv, mul, fromSigned } from '../field/babybear.js';
import { type Ext, ext, extAdd, extMul, extMulBase, extSub, extFromBase, extEquals } from '../field/extension.js';

const denominatorCache = new Map<number, Uint32Array>();

function inverseDenominators(d: number): Uint32Array {
  let cached = denominatorCache.get(d);
  if (cached) return cached;
  cached = new Uint32Array(d + 1);
  for (let i = 0; i <= d; i++) {
    let den = 1;
    for (let j = 0; j <= d; j++) if (j !== i) den = mul(den, fromSigned(i - j));
    cached[i] = inv(den);
  }
  denominatorCache.set(d, cached);
  return cached;
}

/** s(r) from evals = [s(0), …, s(d)] (an ext vector of d+1 elements). */
export function interpolateAt(evals: Uint32Array, r: Ext): Ext {
  const d = (evals.length >>> 2) - 1;
  if (d < 0) throw new RangeError('interpolateAt: expected at least one evaluation');
  // If r is a node, return that evaluation directly (the product formula would divide by 0 otherwise — it does not here, but this is cheaper).
  for (let i = 0; i <= d; i++) if (extEquals(r, extFromBase(i % P))) return evals.slice(4 * i, 4 * i + 4);
  const invDen = inverseDenominators(d);
  // prefix and suffix products of (r − j)
  const diffs: Ext[] = [];
  for (let j = 0; j <= d; j++) diffs.push(extSub(r, extFromBase(j)));
  const prefix: Ext[] = [ext(1)];
  for (let j = 0; j <= d; j++) prefix.push(extMul(prefix[j], diffs[j]));
  const suffix: Ext[] = new Array(d + 2);
  suffix[d + 1] = ext(1);
  for (let j = d; j >= 0; j--) suffix[j] = extMul(suffix[j + 1], diffs[j]);
  let acc = ext();
  for (let i = 0; i <= d; i++) {
    const basis = extMulBase(extMul(prefix[i], suffix[i + 1]), invDen[i]);
    acc = extAdd(acc, extMul(basis, evals.subarray(4 * i, 4 * i + 4)));
  }
  return acc;
}

/** L_t(r) = Π_{j≠t}(r − j)/(t − j) for t = 0..d (prefix and suffix products: valid at the nodes too). */
export function lagrangeBasis(d: number, r: Ext): Ext[] {
  const diffs: Ext[] = [];
  for (let j = 0; j <= d; j++) diffs.push(extSub(r, ext(j)));
  const prefix: Ext[] = [ext(1)];
  for (let j = 0; j <= d; j++) prefix.push(extMul(prefix[j], diffs[j]));
  const out: Ext[] = new Array(d + 1);
  let suffix: Ext = ext(1);
  const invDen = inverseDenominators(d);
  for (let t = d; t >= 0; t--) {
    out[t] = extMulBase(extMul(prefix[t], suffix), invDen[t]);
    suffix = extMul(suffix, diffs[t]);
  }
  return out;
}
