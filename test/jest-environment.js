/**
 * Jest's node environment with Node's own typed-array constructors. onnxruntime-node's native binding
 * creates its output arrays in Node's main realm, and onnxruntime-common checks them with
 * `instanceof Float32Array` against the test sandbox's constructors, which fails under plain jest
 * ("A float32 tensor's data must be type of function Float32Array()").
 */
const { TestEnvironment } = require('jest-environment-node');

const SHARED = [
  'ArrayBuffer',
  'SharedArrayBuffer',
  'DataView',
  'Int8Array',
  'Uint8Array',
  'Uint8ClampedArray',
  'Int16Array',
  'Uint16Array',
  'Int32Array',
  'Uint32Array',
  'Float32Array',
  'Float64Array',
  'BigInt64Array',
  'BigUint64Array',
];

class NodeRealmTypedArraysEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of SHARED) this.global[name] = globalThis[name];
  }
}

module.exports = NodeRealmTypedArraysEnvironment;
