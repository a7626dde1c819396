import { ClearPcs } from '../../src/pcs/clear.js';
import { testPcs } from './suite.js';

testPcs('clear PCS', new ClearPcs());
