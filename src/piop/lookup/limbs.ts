/**
 * Wide range checks by limb decomposition: v ∈ [0, 2^B) for B ≤ 30 iff
 * v = Σ_j 2^{16j}·l_j with l_j ∈ [0, 2^16) for the full limbs and the top limb in [0, 2^{B−16(L−1)}).
 * Exact over BabyBear: Σ_j 2^{16j}·l_j < 2^B ≤ 2^30 < p, so the recombination never wraps and the
 * decomposition is unique. Every limb (the top one included) is looked up in the 16-bit table, so
 * all limb claims of that instance share one point x and the caller checks the linear relation
 * v~(x) = Σ_j 2^{16j}·l~_j(x) from them (`recombineLimbs`); a narrower top limb is also looked up
 * in its own range table (a second instance, whose claim the caller opens as well).
 */
import { P } from '../../field/babybear.js';
import { type Ext, ext, extAdd, extMulBase } from '../../field/extension.js';
import { rangeTable, type RangeTable } from './tables.js';

export const LIMB_BITS = 16;
export const MAX_WIDE_BITS = 30;

export interface LimbLookups {
  /** The 16-bit table with every limb (lowest first), then, if B is not a multiple of 16, the top limb's own range. */
  groups: { table: RangeTable; lookups: Uint32Array[][] }[];
  /** All limbs, lowest first. */
  limbs: Uint32Array[];
}

/** Splits values < 2^bits into 16-bit limbs; throws naming the position of a value out of range. */
export function splitLimbs(values: Uint32Array, bits: number, name = `range${bits}`): LimbLookups {
  if (!Number.isInteger(bits) || bits < 1 || bits > MAX_WIDE_BITS) {
    throw new RangeError(`splitLimbs: expected 1 ≤ bits ≤ ${MAX_WIDE_BITS}, got ${bits}`);
  }
  const count = Math.ceil(bits / LIMB_BITS);
  const topBits = bits - LIMB_BITS * (count - 1);
  const limbs = Array.from({ length: count }, () => new Uint32Array(values.length));
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v >= 2 ** bits) throw new RangeError(`lookup into table ${name}: value ${v} at position ${i} is outside [0, 2^${bits})`);
    for (let j = 0; j < count; j++) limbs[j][i] = Math.floor(v / 2 ** (LIMB_BITS * j)) & 0xffff;
  }
  const groups: LimbLookups['groups'] = [{ table: rangeTable(LIMB_BITS), lookups: limbs.map((l) => [l]) }];
  if (topBits !== LIMB_BITS) groups.push({ table: rangeTable(topBits), lookups: [[limbs[count - 1]]] });
  return { groups, limbs };
}

/** v~(x) = Σ_j 2^{16j}·l~_j(x) from the limb evaluations (lowest first). */
export function recombineLimbs(limbEvals: Ext[]): Ext {
  let acc = ext();
  limbEvals.forEach((e, j) => {
    acc = extAdd(acc, extMulBase(e, 2 ** (LIMB_BITS * j) % P));
  });
  return acc;
}
