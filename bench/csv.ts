/**
 * CSV reading and writing cost, beside the previous implementation's csv-parse settings in the
 * same run (strict quotes, comma only, no sniffing, TextDecoder with U+FFFD):
 *
 *     node -r ./test/helpers/ts-register.js bench/csv.ts
 *
 * A 10,000-row (MAX_CSV_ROWS) file of ~4.8 MB, no model: only what src/csv adds to an upload.
 */
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { decodeCsv } from '../src/csv/decode';
import { readCsv } from '../src/csv/read';
import { writeCsv } from '../src/csv/write';

const ROUNDS = 15;

/** Median time per call of each candidate, run interleaved so load on a shared machine hits both. */
function compare(candidates: Record<string, () => unknown>): void {
  const names = Object.keys(candidates);
  const times = new Map<string, number[]>(names.map((name) => [name, []]));
  for (const name of names) candidates[name]();
  for (let round = 0; round < ROUNDS; round++) {
    for (const name of names) {
      const start = process.hrtime.bigint();
      candidates[name]();
      times.get(name)?.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
  }
  for (const name of names) {
    const sorted = [...(times.get(name) ?? [])].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)];
    console.log(`${name.padEnd(56)} median ${median.toFixed(1).padStart(7)} ms per file (${ROUNDS} rounds)`);
  }
}

const header = ['id', 'text', 'keyword', 'location'];
const rows = Array.from({ length: 10_000 }, (_, i) => [
  String(i),
  `"Forest fire" near the ridge, row ${i}\n${'smoke over the valley '.repeat(20)}`,
  'fire',
  'Montréal',
]);
const bytes = Buffer.from(stringify([header, ...rows]));
console.log(`${rows.length} rows, ${(bytes.length / 1048576).toFixed(1)} MB`);

compare({
  'baseline: TextDecoder + strict csv-parse + csv-stringify': () => {
    const text = new TextDecoder().decode(bytes);
    const records = parse(text, {
      bom: true,
      info: true,
      skip_empty_lines: true,
      record_delimiter: ['\r\n', '\n', '\r'],
    }) as unknown as { record: string[] }[];
    stringify(
      records.map((r) => r.record),
      { record_delimiter: 'windows', eof: true },
    );
  },
  'src/csv: decodeCsv + readCsv (sniffed) + writeCsv': () => {
    const { text } = decodeCsv(bytes);
    const { records } = readCsv(text, { isHeader: (cells) => cells.includes('text') });
    writeCsv(records.map((r) => r.cells));
  },
});
