/** GlobalAveragePool: mean over all spatial cells, y = round(Σ·2^(fy−fx) / (H·W)). */
import { lowerWindow, poolMap, windowFloat } from './pooling.js';
import type { OpDef } from './op.js';

export const GlobalAveragePool: OpDef = {
  float: (n, x) => [windowFloat(x[0]!, poolMap(n, x[0]!.dims, true), 'avg')],
  lower: (q, n) => lowerWindow(q, n, poolMap(n, q.act(n.inputs[0]).dims, true), 'avg'),
};
