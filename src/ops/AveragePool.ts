/**
 * AveragePool: y = round(Σ window · 2^(fy−fx) / count), count = valid cells (count_include_pad = 0)
 * or cells inside the padded extent (= 1); one division with remainder per output.
 */
import { lowerWindow, poolMap, windowFloat } from './pooling.js';
import { attrInt, type OpDef } from './op.js';

export const AveragePool: OpDef = {
  float(n, x) {
    return [windowFloat(x[0]!, poolMap(n, x[0]!.dims), attrInt(n, 'count_include_pad', 0) ? 'avgpad' : 'avg')];
  },
  lower(q, n) {
    lowerWindow(q, n, poolMap(n, q.act(n.inputs[0]).dims), attrInt(n, 'count_include_pad', 0) ? 'avgpad' : 'avg');
  },
};
