/**
 * PRelu: y = x ≥ 0 ? x : slope·x. A scalar slope is a table; per-channel slopes are an int8 constant
 * at exponent fs with y = x (x ≥ 0) or round(x·slope / 2^fs) (x < 0); the output keeps x's exponent.
 */
import { broadcastIndex } from '../model/tensor.js';
import { expForMax, quantizeAt } from '../quantize/lowering.js';
import { lowerUnaryTable, mapBinary } from './common.js';
import type { OpDef } from './op.js';

export const PRelu: OpDef = {
  params: [1],
  float: (_n, x) => [mapBinary(x[0]!, x[1]!, (v, s) => (v >= 0 ? v : v * s))],
  lower(q, n) {
    const x = q.act(n.inputs[0]);
    const s = q.constant(n.inputs[1]);
    if (s.data.length === 1) {
      const sl = s.data[0];
      lowerUnaryTable(q, n, (v) => (v >= 0 ? v : v * sl), true);
      return;
    }
    const fs = expForMax(s.data.reduce((m, v) => Math.max(m, Math.abs(v)), 0), 1);
    const slope = quantizeAt(s.data, fs);
    const same = s.dims.length === x.dims.length && s.dims.every((d, i) => d === x.dims[i]);
    q.emit(
      { kind: 'prelu', name: n.name, op: n.opType, inputs: [x.name], output: n.outputs[0], bound: 2 * 128 * 128 + 2 ** (fs + 2), slope, map: same ? null : broadcastIndex(s.dims, x.dims), div: 2 ** fs },
      { dims: x.dims, exp: x.exp, lo: x.lo, hi: x.hi },
    );
  },
};
