/**
 * Table layers (every unary non-linearity and rescale: y = T[x − tlo]) — proof by one tuple
 * lookup per element into the public function table
 *   rows j < n: (j, T[j]),   row n: (n, 0) for padding,   rows > n: (j, 0) (never reachable),
 * with the looked-up key column x − tlo on real entries and n on padding, i.e. the affine column
 * x + n + (−tlo − n)·χ (x is zero on padding). Membership gives y = T[x − tlo] on real entries and
 * y = 0 on padding. Keys past n are unreachable because x ∈ [tlo, tlo + n) is enforced by x's
 * own relation (its range check or the public-input check). No sumcheck: the lookup's claims on x
 * and y are the whole proof.
 */
import { modP } from '../../circuit/layout.js';
import { CircuitError, type LayerProtocol } from '../../circuit/protocol.js';
import type { FunctionTable } from '../../piop/lookup/tables.js';
import type { TableLayer } from '../../quantize/layers.js';

export function layerTable(L: TableLayer): FunctionTable {
  const n = L.table.length;
  let b = 0;
  while (2 ** b < n + 1) b++;
  const keys = new Uint32Array(2 ** b);
  const vals = new Uint32Array(2 ** b);
  for (let j = 0; j < keys.length; j++) {
    keys[j] = j;
    vals[j] = j < n ? modP(L.table[j]) : 0;
  }
  return { kind: 'function', name: `table:${L.name}`, columns: [keys, vals] };
}

export const tableProof: LayerProtocol<TableLayer> = {
  plan(L, c) {
    const xd = c.dims(L.inputs[0]);
    const yd = c.dims(L.output);
    if (xd.length !== yd.length || xd.some((d, i) => d !== yd[i])) throw new CircuitError(`layer '${L.name}': table input [${xd}] and output [${yd}] differ in shape`, L.name);
    const xr = c.range(L.inputs[0]);
    const n = L.table.length;
    if (xr.lo < L.tlo || xr.hi > L.tlo + n - 1) {
      throw new CircuitError(`layer '${L.name}': input range [${xr.lo}, ${xr.hi}] is not covered by the table [${L.tlo}, ${L.tlo + n - 1}]`, L.name);
    }
    if (n > 2 ** 16 - 1) throw new CircuitError(`layer '${L.name}': table of ${n} entries exceeds 2^16`, L.name);
    return {
      aux: [],
      lookups: [{ table: layerTable(L), columns: [{ tensor: L.inputs[0], constOffset: n, chiOffset: -L.tlo - n }, { tensor: L.output }] }],
    };
  },
  witness() {
    return new Map();
  },
  prove() {},
  verify() {},
};
