import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { mlp, rand } from '../model/onnx-builder.js';
import { decodeZkm, encodeZkm } from '../../src/quantize/zkm.js';
import { compileOnnx } from '../../src/quantize/compile.js';
import { runQuantized } from '../../src/quantize/infer.js';
import { ModelError } from '../../src/model/errors.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const MAIN = path.resolve(here, '../../src/cli/main.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'zkinfer-cli-'));

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('.zkm round trip is exact; corrupt, truncated and foreign files give CorruptZkm errors', () => {
  const { model } = compileOnnx(mlp(8, 6, 3, true), [{ x: Array.from(rand(8, 1)) }]);
  const bytes = encodeZkm(model);
  const back = decodeZkm(bytes);
  const x = { x: Array.from(rand(8, 1)) };
  assert.deepEqual([...runQuantized(back, x).outputs[0].q], [...runQuantized(model, x).outputs[0].q]);
  const flipped = bytes.slice();
  flipped[bytes.length >> 1] ^= 1;
  for (const bad of [bytes.slice(0, bytes.length - 7), flipped, new Uint8Array(64), Uint8Array.from(bytes.slice(0, 40))]) {
    assert.throws(() => decodeZkm(bad), (e: unknown) => e instanceof ModelError && e.kind === 'CorruptZkm');
  }
});

test('CLI: compile → inspect → run, EZKL and plain input formats', () => {
  const onnx = path.join(tmp, 'mlp.onnx');
  const zkm = path.join(tmp, 'mlp.zkm');
  fs.writeFileSync(onnx, mlp(8, 6, 3));
  const x = Array.from(rand(8, 2));
  fs.writeFileSync(path.join(tmp, 'input.json'), JSON.stringify({ input_data: [x] }));
  fs.writeFileSync(path.join(tmp, 'plain.json'), JSON.stringify({ x }));
  const c = cli(['compile', onnx, '--calibrate', path.join(tmp, 'input.json'), '-o', zkm]);
  assert.equal(c.code, 0, c.err);
  assert.match(c.out, /rel\. L2/);
  assert.match(c.out, /headroom/);
  const i = cli(['inspect', zkm]);
  assert.equal(i.code, 0, i.err);
  assert.match(i.out, /fc1 +Gemm +gemm/);
  assert.match(i.out, /parameters/);
  const r1 = cli(['run', zkm, '--input', path.join(tmp, 'input.json'), '--json']);
  const r2 = cli(['run', zkm, '--input', path.join(tmp, 'plain.json'), '--json']);
  assert.equal(r1.code, 0, r1.err);
  assert.deepEqual(JSON.parse(r1.out), JSON.parse(r2.out));
  assert.equal(JSON.parse(r1.out).y.values.length, 3);
});

test('CLI: bad inputs print one clear line, no stack trace', () => {
  const onnx = path.join(tmp, 'bad.onnx');
  fs.writeFileSync(onnx, Uint8Array.from([1, 2, 3, 4, 5]));
  const c = cli(['compile', onnx, '-o', path.join(tmp, 'x.zkm')]);
  assert.equal(c.code, 1);
  assert.match(c.err, /^zkinfer compile: not a valid ONNX model/);
  assert.doesNotMatch(c.err, /\n\s+at /);
  const zkm = path.join(tmp, 'bad.zkm');
  fs.writeFileSync(zkm, Buffer.alloc(100, 7));
  const r = cli(['run', zkm, '--input', path.join(tmp, 'nope.json')]);
  assert.equal(r.code, 1);
  assert.match(r.err, /not a valid \.zkm model file/);
  void execFileSync;
});
