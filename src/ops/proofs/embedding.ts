/**
 * Embedding layers (`ops/embedding.ts`: y[t, ·] = E[idx[t], ·], E a committed parameter [V, d]) —
 * proven entirely by lookups, with no sumcheck of their own:
 *   1. the indexed lookup of the tuples (idx_t, y_t) into the committed table (v, E_v)
 *      (`piop/lookup/indexed.ts`): y's row t is E's row idx_t, E bound by the model ID through the
 *      parameter commitment (the lookup leaves one claim on E, which the parameter batch settles);
 *      the key column is idx + V·(1 − χ), so the tensor layout's padding rows (idx = 0, y row 0)
 *      become the tuple (V, 0), a padding row of the table, and y's padding is proven zero;
 *   2. a range lookup of V − 1 − idx into [0, 2^b) (b = ⌈log2(V + 1)⌉): with idx ∈ [0, 2^b) from
 *      (1) it gives idx ≤ V − 1, so the table's padding rows (v, 0), v ≥ V, match no real index.
 *      (Padding entries: V − 1 − 0 = V − 1, in range.)
 * Both lookups are exact relations over the integers: every value involved is below 2^17 ≪ p.
 */
import { CircuitError, type LayerPlan, type LayerProtocol, type PlanContext } from '../../circuit/protocol.js';
import { layoutOf } from '../../circuit/layout.js';
import { committedTable, MAX_TABLE_BITS, rangeTable } from '../../piop/lookup/tables.js';
import type { EmbedLayer } from '../../quantize/layers.js';

/** The parameter name of an embedding layer's table (`circuit/description.ts`). */
export function embedTableName(L: EmbedLayer): string {
  return `${L.name}/table`;
}

function planEmbedding(L: EmbedLayer, c: PlanContext): LayerPlan {
  const idx = L.inputs[0];
  const table = committedTable(embedTableName(L), L.V, layoutOf([L.V, L.d]).logs[1]);
  if (table.bits > MAX_TABLE_BITS) throw new CircuitError(`layer '${L.name}' (${L.op}): a table of ${L.V} rows needs a ${table.bits}-bit index range check; at most 2^${MAX_TABLE_BITS} − 1 rows are supported`, L.name);
  const yd = c.dims(L.output);
  const id = c.dims(idx);
  if (yd.length !== id.length + 1 || yd[yd.length - 1] !== L.d || id.some((v, i) => v !== yd[i])) {
    throw new CircuitError(`layer '${L.name}': output shape [${yd}] is not the indices' shape [${id}] ++ [${L.d}]`, L.name);
  }
  return {
    aux: [],
    lookups: [
      { table, columns: [{ tensor: idx, constOffset: L.V, chiOffset: -L.V }, { tensor: L.output }] },
      { table: rangeTable(table.bits), columns: [{ tensor: idx, sign: -1, constOffset: L.V - 1 }] },
    ],
  };
}

export const embeddingProof: LayerProtocol<EmbedLayer> = {
  plan: planEmbedding,
  witness: () => new Map(),
  // everything is in the circuit's lookups (see the header)
  prove: () => {},
  verify: () => {},
};
