/** GlobalMaxPool: exact max over all spatial cells. */
import { lowerWindow, poolMap, windowFloat } from './pooling.js';
import type { OpDef } from './op.js';

export const GlobalMaxPool: OpDef = {
  float: (n, x) => [windowFloat(x[0]!, poolMap(n, x[0]!.dims, true), 'max')],
  lower: (q, n) => lowerWindow(q, n, poolMap(n, q.act(n.inputs[0]).dims, true), 'max'),
};
