/**
 * The contract of an ONNX op module (STYLE §6): its float reference semantics, used for constant
 * folding, shape inference and calibration, and its lowering to integer layers (src/quantize), whose
 * kernels are the witness generator a prover is tested against. An op without `lower` may only
 * appear in constant (shape-plumbing) sub-graphs and is folded away at import.
 */
import type { Node, AttrValue } from '../model/graph.js';
import type { Tensor } from '../model/tensor.js';
import type { Lowering } from '../quantize/lowering.js';
import type { RewriteContext } from '../model/builder.js';

/** What an op's expansion may read: the rewrite context, and whether a value is read by any node or is a graph output. */
export interface ExpandContext extends RewriteContext {
  isRead(name: string): boolean;
}

export interface OpDef {
  /** input positions holding parameters (weights, shapes, axes, pads): must be constant */
  params?: number[];
  /** output depends only on the input shapes (Shape, Size) */
  shapeOnly?: boolean;
  /** pure data movement: integer semantics is a gather map derived from `float` on an index tensor */
  layout?: boolean;
  float(n: Node, x: (Tensor | undefined)[], opset: number): Tensor[];
  lower?(q: Lowering, n: Node): void;
  /**
   * A rewrite before folding (`model/prepare.ts`): the plain nodes (whose float references and
   * lowerings exist) that replace this one, or null to keep it. The replacement is folded and
   * lowered like any other node, so it is proven with the layer kinds its ops lower to.
   */
  expand?(n: Node, ctx: ExpandContext): Node[] | null;
}

export function attrInt(n: Node, name: string, dflt: number): number {
  const v = n.attrs[name];
  return typeof v === 'number' ? Math.trunc(v) : dflt;
}
export function attrFloat(n: Node, name: string, dflt: number): number {
  const v = n.attrs[name];
  return typeof v === 'number' ? v : dflt;
}
export function attrInts(n: Node, name: string): number[] | undefined {
  const v: AttrValue | undefined = n.attrs[name];
  if (v === undefined) return undefined;
  if (typeof v === 'number') return [v];
  if (Array.isArray(v) && (v.length === 0 || typeof v[0] === 'number')) return (v as number[]).map((x) => Math.trunc(x));
  return undefined;
}
export function attrStr(n: Node, name: string, dflt: string): string {
  const v = n.attrs[name];
  return typeof v === 'string' ? v : dflt;
}
/** Required input; throws a message naming the position. */
export function need(x: (Tensor | undefined)[], i: number, n: Node): Tensor {
  const t = x[i];
  if (!t) throw new Error(`missing input #${i}`);
  return t;
}
/** An int-list operand given either as an input tensor (newer opsets) or as an attribute. */
export function intsFrom(n: Node, x: (Tensor | undefined)[], inputIdx: number, attr: string): number[] | undefined {
  const t = x[inputIdx];
  if (t) return Array.from(t.data, (v) => Math.trunc(v));
  return attrInts(n, attr);
}
