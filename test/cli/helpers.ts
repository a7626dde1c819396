/**
 * Test support for the CLI: run `zkinfer` as a child process, and the generated mlp-tiny model
 * compiled and committed through the CLI itself in a temporary directory.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { generatedModel } from '../../src/model/generated.js';

const here = path.dirname(fileURLToPath(import.meta.url));
export const MAIN = path.resolve(here, '../../src/cli/main.js');

export function cli(args: string[]) {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** mlp-tiny compiled (m.zkm) and committed (m.zkc) by the CLI, with in.json and cal.json; `f` names files in `dir`. */
export function committedTiny(prefix: string): { dir: string; f: (name: string) => string; id: string; commitOut: string; g: ReturnType<typeof generatedModel> } {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const g = generatedModel('mlp-tiny');
  const f = (n: string) => path.join(tmp, n);
  fs.writeFileSync(f('m.onnx'), g.onnx);
  fs.writeFileSync(f('in.json'), JSON.stringify(g.inputs[0]));
  fs.writeFileSync(f('cal.json'), JSON.stringify({ input_data: [g.inputs[0].input] }));
  assert.equal(cli(['compile', f('m.onnx'), '--calibrate', f('cal.json'), '-o', f('m.zkm')]).code, 0);
  const c = cli(['commit', f('m.zkm'), '-o', f('m.zkc'), '--quiet']);
  assert.equal(c.code, 0, c.err);
  return { dir: tmp, f, id: /model ID ([0-9a-f]{64})/.exec(c.out)![1], commitOut: c.out, g };
}
