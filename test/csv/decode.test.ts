import iconv from 'iconv-lite';
import { decodeCsv } from '../../src/csv/decode';
import { httpErrorOf as failure } from '../protocols/fixtures';

const TEXT = 'id,text\n1,Café crème € 5 — it’s “fine”…\n';

describe('decodeCsv', () => {
  it('reads UTF-8 with and without a BOM', () => {
    expect(decodeCsv(Buffer.from(TEXT))).toEqual({ text: TEXT, encoding: 'utf-8', bom: false });
    expect(decodeCsv(Buffer.from(`\ufeff${TEXT}`))).toEqual({ text: TEXT, encoding: 'utf-8', bom: true });
  });

  it('reads UTF-16LE and UTF-16BE by their BOM', () => {
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(TEXT, 'utf16le')]);
    expect(decodeCsv(le)).toEqual({ text: TEXT, encoding: 'utf-16le', bom: true });
    const be = Buffer.from(le);
    be.swap16();
    expect(decodeCsv(be)).toEqual({ text: TEXT, encoding: 'utf-16be', bom: true });
  });

  it('reads bytes that are not UTF-8 as Windows-1252, with a notice naming the line', () => {
    const bytes = iconv.encode(`id,text\n1,plain\n${TEXT.split('\n')[1]}\n`, 'windows-1252');
    const decoded = decodeCsv(bytes);
    expect(decoded.text).toBe(`id,text\n1,plain\n${TEXT.split('\n')[1]}\n`);
    expect(decoded.encoding).toBe('windows-1252');
    expect(decoded.notice).toMatch(/^The file is not UTF-8 \(line 3 is the first with other bytes\)/);
    // Header values must be ASCII.
    expect(decoded.notice).toMatch(/^[\x20-\x7e]+$/);
  });

  it('refuses bytes Windows-1252 does not define, NUL characters and broken declared encodings', () => {
    const undefinedByte = failure(() => decodeCsv(Buffer.from([0x61, 0x0a, 0xe9, 0x81, 0x0a])));
    expect(undefinedByte.message).toMatch(/neither UTF-8 nor Windows-1252: line 2 has the byte 0x81/);
    const utf16NoBom = failure(() => decodeCsv(Buffer.from('text\nfire\n', 'utf16le')));
    expect(utf16NoBom.message).toMatch(/^line 1 contains a NUL character/);
    const declared = failure(() => decodeCsv(Buffer.from([0x61, 0x0a, 0xe9]), 'utf-8'));
    expect(declared.message).toBe(
      'the request declares charset=utf-8, but line 2 has bytes that are not UTF-8; save the file as "CSV UTF-8"',
    );
    const badBom = failure(() => decodeCsv(Buffer.from([0xef, 0xbb, 0xbf, 0x61, 0x0a, 0xe9])));
    expect(badBom.code).toBe('invalid_encoding');
    expect(failure(() => decodeCsv(Buffer.from('a'), 'klingon')).status).toBe(415);
  });

  it('follows a declared charset', () => {
    expect(decodeCsv(iconv.encode(TEXT, 'windows-1252'), 'windows-1252')).toEqual({
      text: TEXT,
      encoding: 'windows-1252',
      bom: false,
    });
    // Latin-1 labels are read as Windows-1252, as browsers do: 0x80 is the euro sign.
    expect(decodeCsv(Buffer.from([0x61, 0x2c, 0xe9, 0x80, 0x0a]), 'ISO-8859-1')).toEqual({
      text: 'a,\u00e9\u20ac\n',
      encoding: 'windows-1252',
      bom: false,
    });
    const undefinedByte = failure(() => decodeCsv(Buffer.from([0x61, 0x0a, 0x81]), 'windows-1252'));
    expect(undefinedByte.message).toBe(
      'the request declares charset=windows-1252, but line 2 has bytes that are not windows-1252; save the file as "CSV UTF-8"',
    );
  });
});
