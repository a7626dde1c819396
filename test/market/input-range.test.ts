/**
 * A job's input must be one the prover would prove and the verifier accept (issue: "the
 * verifier's input binding accepts values the prover refuses"): posting an input that is not a
 * finite number, or that quantizes outside the model's calibrated input range, is refused with a
 * BadRequest naming the input, the index, the value and the allowed range — never clamped (a
 * clamped job input would be a job no receipt can settle). Nothing is escrowed for a refusal.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TestMarket, tinyModel } from './helpers.js';
import { accountName as A } from '../../src/market/ledger.js';
import { quantizedInputs } from '../../src/market/trace.js';
import { MarketError } from '../../src/market/types.js';

test('posting a job whose input is non-finite, not a number, or outside the calibrated range is refused (not clamped)', () => {
  const m = new TestMarket();
  const id = m.registerTiny(m.agent('owner'));
  const req = m.agent('requester');
  const { model, inputs } = tinyModel();
  const info = model.inputs[0];
  const sc = 2 ** info.exp;
  const K = 3;
  const before = m.coord.ledger.balance(A.free(req.account));
  const hostile: [string, unknown, RegExp][] = [
    ['NaN', NaN, /finite number|not a number/],
    ['Infinity', Infinity, /finite number|not a number/],
    ['-Infinity', -Infinity, /finite number|not a number/],
    ['null', null, /finite number|not a number/],
    ["'1'", '1', /finite number|not a number/],
    ['true', true, /finite number|not a number/],
    ['1e300', 1e300, /outside the calibrated range/],
    ['2**31', 2 ** 31, /outside the calibrated range/],
    ['-(2**31)-1', -(2 ** 31) - 1, /outside the calibrated range/],
    ['just above the range', (info.hi + 0.5) / sc, /outside the calibrated range/],
    ['just below the range', (info.lo - 0.5) / sc - 1e-9, /outside the calibrated range/],
  ];
  for (const [what, v, why] of hostile) {
    const input = { [info.name]: inputs[0][info.name].slice() as unknown[] };
    input[info.name][K] = v;
    const body = (inp: unknown) => ({ jobs: [{ model: id, policy: 'proof', input: inp, reward: 100, stake: 1000 }] });
    if (typeof v === 'number' && !Number.isFinite(v)) {
      // a signed request cannot even carry NaN/±Infinity; over JSON they arrive as null
      assert.throws(() => req.sign('job.post', body(input)), (err: unknown) => err instanceof MarketError && err.kind === 'BadRequest', what);
      input[info.name][K] = JSON.parse(JSON.stringify(v));
      assert.equal(input[info.name][K], null);
    }
    const e = m.refused(req, 'job.post', body(input), 'BadRequest', why);
    if (why.source.includes('outside')) {
      // names the input, the index, the value and the allowed range
      assert.ok(e.message.includes(`input '${info.name}'`) && e.message.includes(`index ${K}`) && e.message.includes(String(v)), `${what}: ${e.message}`);
      assert.ok(e.message.includes(`[${info.lo / sc}, ${info.hi / sc}]`), `${what}: the range in ${e.message}`);
      assert.equal(e.index, K);
      assert.deepEqual(e.range, [info.lo / sc, info.hi / sc]);
    }
  }
  assert.equal(m.coord.ledger.balance(A.free(req.account)), before, 'nothing escrowed for refused posts');
  // control: the honest input is accepted, and the refused posts created no job
  const ok = m.call(req, 'job.post', { jobs: [{ model: id, policy: 'proof', input: inputs[0], reward: 100, stake: 1000 }] });
  assert.equal(ok.jobs[0].id, 1);
  m.assertBalanced();
});

test('quantizedInputs is strict: an out-of-range value is a BadRequest, an in-range one quantizes as the prover does', () => {
  const { model, inputs } = tinyModel();
  const info = model.inputs[0];
  const sc = 2 ** info.exp;
  const x = inputs[0][info.name].slice();
  x[0] = info.hi / sc; // the largest value in range
  x[1] = (info.hi + 0.49) / sc; // still rounds to hi
  assert.equal(quantizedInputs(model, { [info.name]: x }).get(info.name)![1], info.hi);
  x[1] = (info.hi + 0.5) / sc; // rounds to hi + 1: refused, not clamped to hi
  assert.throws(() => quantizedInputs(model, { [info.name]: x }), (e: unknown) => e instanceof MarketError && e.kind === 'BadRequest' && /index 1 is outside the calibrated range/.test(e.message));
  assert.throws(() => quantizedInputs(model, {}), (e: unknown) => e instanceof MarketError && /missing input/.test(e.message));
});
