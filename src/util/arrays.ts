/**
 * Array helpers. `pushAll` appends element by element: `into.push(...from)` passes every element
 * as a call argument, and the constraint lists of a large model (hundreds of thousands of
 * entries) exceed what the call stack holds ("Maximum call stack size exceeded").
 */
export function pushAll<T>(into: T[], from: Iterable<T>): T[] {
  for (const x of from) into.push(x);
  return into;
}
