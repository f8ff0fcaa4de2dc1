/**
 * `node dist/cli/selftest.js --bundle DIR`: loads one bundle as the server does (feature or sequence
 * model) and prints its golden self-test as one JSON line: {"name", "ready", "reason"?, "checked",
 * "max_difference"}; exit status 1 when it is not ready. scripts/check_sequence_parity.sh uses it
 * to prove a network's ONNX outputs match PyTorch's on held-out texts.
 */
import { resolve } from 'node:path';
import { loadServedModel } from '../model/load';
import { InputError, option, runCli } from './jsonlines';

runCli(async () => {
  const dir = option(process.argv.slice(2), 'bundle');
  if (dir === undefined) throw new InputError('usage: node dist/cli/selftest.js --bundle DIR');
  const model = await loadServedModel(resolve(dir));
  const report = model.selfTest;
  const status = model.status();
  process.stdout.write(
    JSON.stringify({
      name: model.name,
      ready: status.ready,
      ...(status.reason === undefined ? {} : { reason: status.reason }),
      checked: report?.checked ?? 0,
      max_difference: report?.maxDifference ?? null,
    }) + '\n',
  );
  await model.close();
  if (!status.ready) process.exitCode = 1;
});
