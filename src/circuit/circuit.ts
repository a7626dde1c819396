/**
 * The circuit of a model: built deterministically from the public description, identically by
 * prover and verifier. It fixes
 *   - every tensor's layout and role: public (model inputs and outputs), witness (layer outputs
 *     and auxiliary values, committed per proof) or parameter (committed once, as int8 limbs);
 *   - each layer's proof module and plan (auxiliary tensors, lookups);
 *   - the lookup instances: lookups grouped by (table, column length), one LogUp-GKR each;
 *   - the segment layout of the witness vector (tensors and multiplicities) and of the
 *     parameter vector (one segment per parameter limb).
 * Anything the prover cannot prove soundly (an unsupported layer, a relation that could wrap) is
 * a CircuitError naming the layer, raised here on both sides.
 */
import type { Layer } from '../quantize/layers.js';
import { tableBits, type LookupTable } from '../piop/lookup/tables.js';
import { needsSecondDraw, type LookupStatement } from '../piop/lookup/logup.js';
import { layerProtocol } from '../ops/proofs/registry.js';
import type { ModelDescription } from './description.js';
import { layoutOf, type Layout } from './layout.js';
import { limbBound, placeSegments, type Segment } from './params.js';
import { CircuitError, type ColumnSpec, type LayerPlan, type LayerProtocol, type PlanContext } from './protocol.js';

export type TensorRole = 'input' | 'output' | 'witness' | 'param';

export interface TensorInfo {
  name: string;
  layout: Layout;
  role: TensorRole;
  lo: number;
  hi: number;
  /** parameter limbs */
  limbs: number;
}

export interface LookupGroup {
  table: LookupTable;
  logLen: number;
  tuples: ColumnSpec[][];
  /** witness name of its multiplicity vector */
  mult: string;
}

export interface CircuitLayer {
  layer: Layer;
  protocol: LayerProtocol;
  plan: LayerPlan;
}

export interface Circuit {
  tensors: Map<string, TensorInfo>;
  layers: CircuitLayer[];
  lookups: LookupGroup[];
  witness: { segments: Map<string, Segment>; numVars: number };
  params: { segments: Map<string, Segment>; numVars: number };
  paramOrder: string[];
}

export function limbName(param: string, l: number): string {
  return `${param}#limb${l}`;
}

function tableKey(t: LookupTable): string {
  return t.kind === 'range' ? `range:${t.bits}` : t.kind === 'committed' ? `rows:${t.param}` : `fn:${t.name}`;
}

export function lookupStatements(c: Circuit): LookupStatement[] {
  return c.lookups.map((g) => {
    const st: LookupStatement = { table: g.table, numLookups: g.tuples.length, logLen: g.logLen };
    // an instance too large for one fingerprint draw is checked at two (`piop/lookup/logup.ts`)
    return needsSecondDraw(st) ? { ...st, fingerprints: 2 } : st;
  });
}

export function buildCircuit(desc: ModelDescription): Circuit {
  const m = desc.model;
  const tensors = new Map<string, TensorInfo>();
  const add = (t: TensorInfo): void => {
    if (tensors.has(t.name)) throw new CircuitError(`tensor '${t.name}' is defined twice`);
    tensors.set(t.name, t);
  };
  for (const i of m.inputs) add({ name: i.name, layout: layoutOf(i.dims), role: 'input', lo: i.lo, hi: i.hi, limbs: 0 });
  const outputs = new Set(m.outputs.map((o) => o.name));
  for (const t of m.tensors) {
    if (tensors.has(t.name)) continue;
    add({ name: t.name, layout: layoutOf(t.dims), role: outputs.has(t.name) ? 'output' : 'witness', lo: t.lo, hi: t.hi, limbs: 0 });
  }
  for (const o of m.outputs) if (!tensors.has(o.name)) throw new CircuitError(`model output '${o.name}' is not produced by any layer`);
  for (const p of desc.params) {
    const b = limbBound(p.limbs);
    add({ name: p.name, layout: layoutOf(p.dims), role: 'param', lo: -b, hi: b - (256 ** p.limbs - 1) / 255, limbs: p.limbs });
  }
  const info = (name: string): TensorInfo => {
    const t = tensors.get(name);
    if (!t) throw new CircuitError(`unknown tensor '${name}'`);
    return t;
  };
  const pc: PlanContext = {
    dims: (n) => info(n).layout.dims,
    range: (n) => ({ lo: info(n).lo, hi: info(n).hi }),
    isParam: (n) => tensors.get(n)?.role === 'param',
  };

  const layers: CircuitLayer[] = [];
  const groups = new Map<string, LookupGroup>();
  for (const L of m.layers) {
    const protocol = layerProtocol(L);
    const plan = protocol.plan(L, pc);
    for (const a of plan.aux) add({ name: a.name, layout: layoutOf(a.dims), role: 'witness', lo: 0, hi: 0, limbs: 0 });
    for (const lk of plan.lookups) {
      const nv = info(lk.columns[0].tensor).layout.numVars;
      lk.columns.forEach((col, w) => {
        // a committed table's second column is a matrix of 2^rowVars-wide rows (`piop/lookup/indexed.ts`)
        const want = lk.table.kind === 'committed' && w === 1 ? nv + lk.table.rowVars : nv;
        if (info(col.tensor).layout.numVars !== want) throw new CircuitError(`layer '${L.name}': lookup columns over tensors of different sizes`, L.name);
      });
      if (lk.table.kind === 'committed') {
        const e = info(lk.table.param);
        if (e.role !== 'param' || e.layout.numVars !== Math.ceil(Math.log2(lk.table.rows)) + lk.table.rowVars || e.layout.dims[0] !== lk.table.rows) {
          throw new CircuitError(`layer '${L.name}': table '${lk.table.name}' is not a committed parameter of ${lk.table.rows} rows`, L.name);
        }
      }
      const key = `${tableKey(lk.table)}|${nv}`;
      let g = groups.get(key);
      if (!g) {
        g = { table: lk.table, logLen: nv, tuples: [], mult: `#mult${groups.size}` };
        groups.set(key, g);
      }
      g.tuples.push(lk.columns);
    }
    layers.push({ layer: L, protocol, plan });
  }
  const lookups = [...groups.values()];
  for (const g of lookups) add({ name: g.mult, layout: layoutOf([2 ** tableBits(g.table)]), role: 'witness', lo: 0, hi: 0, limbs: 0 });

  const wsizes = new Map<string, number>();
  for (const t of tensors.values()) if (t.role === 'witness') wsizes.set(t.name, t.layout.numVars);
  const psizes = new Map<string, number>();
  for (const p of desc.params) for (let l = 0; l < p.limbs; l++) psizes.set(limbName(p.name, l), info(p.name).layout.numVars);
  return { tensors, layers, lookups, witness: placeSegments(wsizes), params: placeSegments(psizes), paramOrder: desc.params.map((p) => p.name) };
}
