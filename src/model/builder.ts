/**
 * A small node emitter for the front end's graph rewrites (`unroll.ts`, `recurrent.ts`): it names
 * new values inside one node's scope (`<node>/<base>`, never clashing with a value already
 * defined), adds new constants to the graph's constant table and appends plain ONNX nodes whose
 * float references and lowerings already exist. Layout nodes are written the way the graph's
 * opset reads them (Slice bounds as inputs from opset 10, attributes before).
 */
import type { AttrValue, Node } from './graph.js';
import { DT } from './onnx-proto.js';
import type { Tensor } from './tensor.js';

/** What a rewrite may read and extend: the constants so far, the shape of any value defined so far. */
export interface RewriteContext {
  consts: Map<string, Tensor>;
  dims(name: string): number[] | undefined;
  opset: number;
}

export class NodeBuilder {
  readonly nodes: Node[] = [];
  private readonly used = new Set<string>();

  constructor(readonly ctx: RewriteContext, readonly scope: string) {}

  /** A value name `<scope>/<base>` that nothing defines yet. */
  fresh(base: string): string {
    let nm = `${this.scope}/${base}`;
    for (let k = 1; this.used.has(nm) || this.ctx.consts.has(nm) || this.ctx.dims(nm); k++) nm = `${this.scope}/${base}_${k}`;
    this.used.add(nm);
    return nm;
  }

  /** Adds a constant; returns its name. */
  constant(base: string, t: Tensor): string {
    const nm = this.fresh(base);
    this.ctx.consts.set(nm, t);
    return nm;
  }

  floats(base: string, dims: number[], data: Float64Array): string {
    return this.constant(base, { dims, data, dtype: DT.FLOAT });
  }

  ints(base: string, dims: number[], data: number[]): string {
    return this.constant(base, { dims, data: Float64Array.from(data), dtype: DT.INT64 });
  }

  /** Appends one node; its output is `out` when given (a node's own output name), else a fresh name. */
  op(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}, out?: string, base = opType.toLowerCase()): string {
    const y = out ?? this.fresh(base);
    this.nodes.push({ name: out ? `${this.scope}/${out}` : y, opType, domain: '', inputs, outputs: [y], attrs });
    return y;
  }

  /** x[…, i, …] along `axis` (that axis removed): a Gather with a constant scalar index. */
  pick(x: string, i: number, axis: number, base = 'pick'): string {
    return this.op('Gather', [x, this.ints(`${base}_index`, [], [i])], { axis }, undefined, base);
  }

  /** x[…, lo:hi, …] along `axis`. */
  slice(x: string, lo: number, hi: number, axis: number, base = 'slice'): string {
    if (this.ctx.opset >= 10) {
      return this.op('Slice', [x, this.ints(`${base}_starts`, [1], [lo]), this.ints(`${base}_ends`, [1], [hi]), this.ints(`${base}_axes`, [1], [axis])], {}, undefined, base);
    }
    return this.op('Slice', [x], { starts: [lo], ends: [hi], axes: [axis] }, undefined, base);
  }

  unsqueeze(x: string, axes: number[], out?: string): string {
    return this.op('Unsqueeze', [x, this.ints('axes', [axes.length], axes)], {}, out);
  }

  /** Concat along `axis`; a single part is moved to `out` by an Identity (removed later unless a graph output). */
  concat(parts: string[], axis: number, out?: string): string {
    if (parts.length === 1) return out ? this.op('Identity', parts, {}, out) : parts[0];
    return this.op('Concat', parts, { axis }, out);
  }

  /** Each part with a new axis `axis`, concatenated along it. */
  stack(parts: string[], axis: number, out?: string): string {
    if (parts.length === 1) return this.unsqueeze(parts[0], [axis], out);
    return this.concat(parts.map((p) => this.unsqueeze(p, [axis])), axis, out);
  }
}
