#!/usr/bin/env python3
"""Write small CSV files the way spreadsheet programs and pandas save them, for the CSV tests.

    /usr/bin/python3 scripts/gen_csv_fixtures.py            # writes test/fixtures/csv/

Each file holds the same made-up rows (multi-line cells, quotes, delimiters, accents, cells that
start like formulas, empty cells). Excel, LibreOffice and Google Sheets files are written with
Python's csv module in those programs' documented formats (encoding, byte-order mark, delimiter,
line ends, final newline); pandas files come from pandas itself. `expected.json` records, for
each file, the header and the cells pandas.read_csv reads from it (dtype=str, no NA conversion):
what the server must read too and give back unchanged. Works with Debian's pandas 1.x and pip's 2.x.
"""
import csv
import io
import json
import os
import sys

import pandas as pd

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "fixtures", "csv")

HEADER = ["id", "text", "keyword", "location"]
ROWS = [
    ["1", "Forest fire near the ridge, evacuations ordered", "wildfire", "Montréal"],
    ["2", 'He said "stay inside"\nthen the power went out', "storm", "São Paulo"],
    ["3", '=HYPERLINK("http://example.com") is just text here', "", "Zürich"],
    ["4", "@airline my bag is lost; again", "", ""],
    ["5", "+1 for the café crème at € 5", "", "Köln"],
    ["6", 'a 5" rain gauge overflowed | twice', "flood", "Tab\there"],
    ["7", "-2 degrees and falling… it’s — cold", "", "Reykjavík"],
]


def write(name, data, newline_rows=None):
    path = os.path.join(OUT, name)
    with open(path, "wb") as f:
        f.write(data)
    return path


def table(delimiter=",", lineterminator="\r\n", final_newline=True, quoting=csv.QUOTE_MINIMAL):
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, delimiter=delimiter, lineterminator=lineterminator, quoting=quoting)
    writer.writerow(HEADER)
    writer.writerows(ROWS)
    text = buf.getvalue()
    return text if final_newline else text[: -len(lineterminator)]


def main():
    os.makedirs(OUT, exist_ok=True)
    files = {}

    # Excel "CSV UTF-8 (Comma delimited)": BOM, CRLF, quotes only where needed, LF inside cells.
    files["excel-csv-utf8.csv"] = dict(data=b"\xef\xbb\xbf" + table().encode("utf-8"), encoding="utf-8-sig", sep=",")
    # The same in a European locale (list separator ";").
    files["excel-csv-utf8-semicolon.csv"] = dict(
        data=b"\xef\xbb\xbf" + table(";").encode("utf-8"), encoding="utf-8-sig", sep=";"
    )
    # Excel "CSV (Comma delimited)" on Windows: the ANSI code page, Windows-1252, no BOM.
    files["excel-csv-windows1252.csv"] = dict(data=table().encode("cp1252"), encoding="cp1252", sep=",")
    # Excel "Unicode Text": UTF-16LE with BOM, tab-separated, CRLF.
    files["excel-unicode-text.txt"] = dict(
        data=b"\xff\xfe" + table("\t").encode("utf-16-le"), encoding="utf-16", sep="\t"
    )
    # LibreOffice Calc "Text CSV" defaults on Linux: UTF-8 without BOM, comma, LF.
    files["libreoffice.csv"] = dict(data=table(lineterminator="\n").encode("utf-8"), encoding="utf-8", sep=",")
    # Google Sheets "Download → CSV": UTF-8 without BOM, CRLF between rows, no final newline.
    files["google-sheets.csv"] = dict(data=table(final_newline=False).encode("utf-8"), encoding="utf-8", sep=",")

    frame = pd.DataFrame(ROWS, columns=HEADER)
    frame.loc[frame["keyword"] == "", "keyword"] = None  # pandas writes NaN as an empty cell
    # pandas to_csv defaults: the index as a first column with an empty header, LF.
    files["pandas-to-csv.csv"] = dict(data=frame.to_csv().encode("utf-8"), encoding="utf-8", sep=",")
    files["pandas-to-csv-no-index.csv"] = dict(
        data=frame.to_csv(index=False).encode("utf-8"), encoding="utf-8", sep=","
    )
    # Typed by hand: quotes inside unquoted cells, blank lines, mixed line ends, no final newline.
    files["hand-written.csv"] = dict(
        data=(
            'id,text\r\n1,a 5" rain gauge\r\n\r\n2,=HYPERLINK("http://example.com")\n'
            "   \n3,\"quoted, with comma\"\r4,last line"
        ).encode("utf-8"),
        encoding="utf-8",
        sep=",",
    )

    expected = {}
    for name, spec in files.items():
        write(name, spec["data"])
        text = spec["data"].decode(spec["encoding"])
        header = next(csv.reader(io.StringIO(text, newline=""), delimiter=spec["sep"]))
        df = pd.read_csv(
            io.BytesIO(spec["data"]), sep=spec["sep"], encoding=spec["encoding"], dtype=str, keep_default_na=False
        )
        expected[name] = {
            "encoding": {"utf-8-sig": "utf-8", "utf-8": "utf-8", "cp1252": "windows-1252", "utf-16": "utf-16le"}[
                spec["encoding"]
            ],
            "delimiter": {",": "comma", ";": "semicolon", "\t": "tab"}[spec["sep"]],
            "header": header,
            "rows": df.values.tolist(),
        }
    with open(os.path.join(OUT, "expected.json"), "w", encoding="utf-8") as f:
        json.dump(expected, f, ensure_ascii=False, indent=1, sort_keys=True)
        f.write("\n")
    print(f"wrote {len(files)} files and expected.json to {os.path.normpath(OUT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
