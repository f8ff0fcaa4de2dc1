/**
 * The constant the baselines answer (express-constant.js, http-constant.js): the same shape and
 * size as Sift's single-row answer (src/predict/format.ts), and a batch row without the model.
 */
const ANSWER = Object.freeze({
  model: 'disaster-tweets',
  label: 1,
  label_name: 'Real disaster',
  probabilities: { 0: 0.12345679, 1: 0.87654321 },
  coverage: { total: 14, known: 12, ratio: 0.8571428571428571 },
  low_signal: false,
});
const ROW = Object.freeze({ ...ANSWER, model: undefined });

module.exports = { ANSWER, ROW };
