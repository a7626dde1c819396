/** MaxPool: exact max over each window (padding ignored); output keeps the input scale. */
import { lowerWindow, poolMap, windowFloat } from './pooling.js';
import { attrInt, type OpDef } from './op.js';

export const MaxPool: OpDef = {
  float(n, x) {
    if (n.outputs.length > 1 && n.outputs[1]) throw new Error('MaxPool with an Indices output is not supported');
    if (attrInt(n, 'storage_order', 0) !== 0) throw new Error('storage_order = 1 is not supported');
    return [windowFloat(x[0]!, poolMap(n, x[0]!.dims), 'max')];
  },
  lower(q, n) {
    lowerWindow(q, n, poolMap(n, q.act(n.inputs[0]).dims), 'max');
  },
};
