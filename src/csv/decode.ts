/**
 * CSV bytes → text, the way spreadsheet files arrive. Pure.
 *
 * A byte-order mark decides first (UTF-8, UTF-16LE as Excel's "Unicode Text", UTF-16BE), then a
 * charset the client declared, then UTF-8. Bytes that are not UTF-8 in an undeclared file are read
 * as Windows-1252 (Excel's plain "CSV" on Windows) and the result carries a notice saying so:
 * never U+FFFD replacement, which would silently lose letters. A declared or BOM-announced encoding
 * the bytes do not match, the five bytes Windows-1252 leaves undefined, and NUL characters (binary
 * files, UTF-16 without a BOM) are refused with the line.
 *
 * iconv-lite decodes the single- and multi-byte charsets: Node 20's TextDecoder reads
 * windows-1252 as ISO-8859-1 (€, ’, … and — lost to C1 controls).
 */
import { isUtf8 } from 'node:buffer';
import iconv from 'iconv-lite';
import { HttpError, unsupportedMediaType } from '../errors';

export interface DecodedCsv {
  readonly text: string;
  /** WHATWG name of the encoding the text was read with, e.g. `utf-8`, `utf-16le`, `windows-1252`. */
  readonly encoding: string;
  /** The file started with a byte-order mark. */
  readonly bom: boolean;
  /** Set when the encoding was guessed rather than known: shown to the user. */
  readonly notice?: string;
}

const BOMS: readonly { bytes: readonly number[]; encoding: string }[] = [
  { bytes: [0xef, 0xbb, 0xbf], encoding: 'utf-8' },
  { bytes: [0xff, 0xfe], encoding: 'utf-16le' },
  { bytes: [0xfe, 0xff], encoding: 'utf-16be' },
];

function startsWith(bytes: Uint8Array, prefix: readonly number[]): boolean {
  return bytes.length >= prefix.length && prefix.every((b, i) => bytes[i] === b);
}

/** Workbooks uploaded instead of their CSV export: .xlsx/.ods (zip) and .xls (OLE2). */
const WORKBOOKS: readonly (readonly number[])[] = [
  [0x50, 0x4b, 0x03, 0x04],
  [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1],
];

/** `charset`: the Content-Type's charset parameter, if any. */
export function decodeCsv(bytes: Uint8Array, charset?: string): DecodedCsv {
  if (WORKBOOKS.some((magic) => startsWith(bytes, magic))) {
    throw new HttpError(
      400,
      'invalid_csv',
      'this is a spreadsheet workbook (.xlsx, .xls or .ods), not a CSV file; save it as "CSV UTF-8" (Excel: File > Save As) and upload that',
      { details: { line: 1, reason: 'workbook' } },
    );
  }
  const bom = BOMS.find((candidate) => startsWith(bytes, candidate.bytes));
  if (bom !== undefined) {
    const text = decodeStrict(
      bytes,
      bom.encoding,
      `the file starts with a ${bom.encoding.toUpperCase()} byte-order mark`,
    );
    return { text: checked(text), encoding: bom.encoding, bom: true };
  }
  const declared = charset?.trim().toLowerCase();
  if (declared !== undefined && declared !== '') {
    const why = `the request declares charset=${declared.slice(0, 40)}`;
    if (UTF8_LABELS.has(declared)) {
      return { text: checked(decodeStrict(bytes, 'utf-8', why)), encoding: 'utf-8', bom: false };
    }
    // As browsers (WHATWG Encoding) do: files labelled Latin-1 or ASCII are Windows-1252 in practice.
    const encoding = LATIN1_LABELS.has(declared) ? 'windows-1252' : declared;
    if (!knownCharset(encoding)) {
      throw unsupportedMediaType(`charset "${declared.slice(0, 40)}" is not supported; send UTF-8`);
    }
    const text = iconv.decode(asBuffer(bytes), encoding, { stripBOM: false });
    // No byte of these charsets decodes to U+FFFD: finding one means bytes outside the charset.
    const bad = text.indexOf('\ufffd');
    if (bad >= 0) {
      throw new HttpError(
        400,
        'invalid_encoding',
        `${why}, but line ${lineAt(text, bad)} has bytes that are not ${declared.slice(0, 40)}; save the file as "CSV UTF-8"`,
        { details: { encoding } },
      );
    }
    return { text: checked(text), encoding, bom: false };
  }
  if (isUtf8(bytes)) {
    return { text: checked(new TextDecoder('utf-8').decode(bytes)), encoding: 'utf-8', bom: false };
  }
  const line = firstNonUtf8Line(bytes);
  const undefinedByte = bytes.findIndex((byte) => WINDOWS_1252_UNDEFINED.has(byte));
  if (undefinedByte >= 0) {
    const where = byteLine(bytes, undefinedByte);
    throw new HttpError(
      400,
      'invalid_encoding',
      `the file is neither UTF-8 nor Windows-1252: line ${where} has the byte 0x${bytes[undefinedByte].toString(16).toUpperCase()}, which neither defines; save the file as "CSV UTF-8"`,
      { details: { line: where } },
    );
  }
  return {
    text: checked(iconv.decode(asBuffer(bytes), 'windows-1252')),
    encoding: 'windows-1252',
    bom: false,
    notice:
      `The file is not UTF-8 (line ${line} is the first with other bytes), so it was read as Windows-1252, ` +
      `the encoding of Excel's "CSV" on Windows. If letters look wrong, save it as "CSV UTF-8" and upload it again.`,
  };
}

const LATIN1_LABELS = new Set([
  'ansi_x3.4-1968',
  'ascii',
  'cp1252',
  'cp819',
  'ibm819',
  'iso-8859-1',
  'iso-ir-100',
  'iso8859-1',
  'iso88591',
  'iso_8859-1',
  'l1',
  'latin1',
  'us-ascii',
  'windows-1252',
  'x-cp1252',
]);

/** A view of the same bytes, not a copy (uploads are up to MAX_UPLOAD_BYTES). */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function knownCharset(label: string): boolean {
  return iconv.encodingExists(label);
}

/** 1-based line of the byte at `offset`. */
function byteLine(bytes: Uint8Array, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i++) {
    if (bytes[i] === 0x0a || (bytes[i] === 0x0d && bytes[i + 1] !== 0x0a)) line++;
  }
  return line;
}

const UTF8_LABELS = new Set(['utf-8', 'utf8', 'unicode-1-1-utf-8']);

/** Bytes Windows-1252 does not define (WHATWG maps them to C1 controls; iconv-lite to U+FFFD). */
const WINDOWS_1252_UNDEFINED = new Set([0x81, 0x8d, 0x8f, 0x90, 0x9d]);

function decodeStrict(bytes: Uint8Array, encoding: string, why: string): string {
  try {
    return new TextDecoder(encoding, { fatal: true }).decode(bytes);
  } catch {
    const where =
      encoding === 'utf-8'
        ? `line ${firstNonUtf8Line(bytes)} has bytes that are not UTF-8`
        : `it has bytes that are not ${encoding.toUpperCase()}`;
    throw new HttpError(400, 'invalid_encoding', `${why}, but ${where}; save the file as "CSV UTF-8"`, {
      details: { encoding },
    });
  }
}

/** CR and LF never occur inside a UTF-8 sequence, so each line can be checked on its own. */
function firstNonUtf8Line(bytes: Uint8Array): number {
  let line = 1;
  let start = 0;
  for (let i = 0; i <= bytes.length; i++) {
    const byte = bytes[i];
    if (i < bytes.length && byte !== 0x0a && byte !== 0x0d) continue;
    if (!isUtf8(bytes.subarray(start, i))) return line;
    if (byte === 0x0d && bytes[i + 1] === 0x0a) i++;
    line++;
    start = i + 1;
  }
  return line;
}

/** NUL never belongs in a text table: it is a binary file, or UTF-16 saved without a byte-order mark. */
function checked(text: string): string {
  const nul = text.indexOf('\0');
  if (nul >= 0) {
    const line = lineAt(text, nul);
    throw new HttpError(
      400,
      'invalid_csv',
      `line ${line} contains a NUL character: this is not a text CSV file (or it is UTF-16 without a byte-order mark); save it as "CSV UTF-8"`,
      { details: { line, reason: 'nul_character' } },
    );
  }
  return text;
}

/** 1-based line of `offset`, counting CRLF, LF and CR as line ends. */
export function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x0a || (c === 0x0d && text.charCodeAt(i + 1) !== 0x0a)) line++;
  }
  return line;
}
