#!/usr/bin/env node
// In-process throughput of a sequence model (Keras tokenizer + LSTM through onnxruntime-node) beside
// the TF-IDF model in the same run: texts/s one at a time and in batches of 100.
//   npm run build && node scripts/bench-sequence.js [--seconds 3]
'use strict';
const path = require('node:path');
const { loadServedModel } = require('../dist/model/load');

const seconds = Number(process.argv[process.argv.indexOf('--seconds') + 1]) || 3;
const TEXTS = [
  'Forest fire near La Ronge Sask. Canada',
  'What a lovely sunny day at the beach with friends',
  'Flood warning issued for the valley, residents told to evacuate now',
  '@united lost my bag again, worst airline ever #fail',
  'Just had the best pizza of my life 🍕🔥',
];

async function rate(model, batch) {
  const rows = Array.from({ length: batch }, (_, i) => ({ text: TEXTS[i % TEXTS.length] }));
  for (let i = 0; i < 20; i++) await model.predict(rows); // warm-up
  let texts = 0;
  const end = process.hrtime.bigint() + BigInt(Math.round(seconds * 1e9));
  const start = process.hrtime.bigint();
  while (process.hrtime.bigint() < end) {
    await model.predict(rows);
    texts += batch;
  }
  return texts / (Number(process.hrtime.bigint() - start) / 1e9);
}

(async () => {
  const rows = [];
  for (const name of ['disaster-tweets', 'disaster-tweets-lstm']) {
    const model = await loadServedModel(path.resolve(__dirname, '..', 'artifacts', name));
    rows.push([name, await rate(model, 1), await rate(model, 100)]);
    await model.close();
  }
  console.log('| model | texts/s, one per call | texts/s, batches of 100 |');
  console.log('|---|---:|---:|');
  for (const [name, one, hundred] of rows)
    console.log(`| ${name} | ${one.toFixed(0)} | ${hundred.toFixed(0)} |`);
})();
