#!/usr/bin/env python3
"""Compare two folders of bundles or fixtures written by the same generator on two machines.

numpy's float64 log/exp take different SIMD paths on different CPUs (AVX-512 or not), so numbers
can differ in their last bits; iterative solvers (lbfgs, SGD) then follow another path and fitted
weights, probabilities and even a borderline label can differ more. So:

- what comes from the data and the settings (file set, vocabularies, settings, cases, tokens,
  feature values, idf, graph structure) must match: strings, keys, array lengths exactly, numbers
  within --rtol (default 1e-9);
- what a fit produced (coefficients, intercepts, ONNX weights, expected/golden values and labels,
  metrics, training search results, threshold) is reported with its largest difference, and does
  not fail the comparison: live parity (scripts/check_parity_live.py) checks those on this machine.

    /usr/bin/python3 scripts/compare_bundles.py COMMITTED REGENERATED [--rtol 1e-9] [--strict]

--strict: fitted values must match within --rtol too (the same machine). Exits 1 and lists the
differences when anything is outside.
"""
from __future__ import annotations

import argparse
import json
import math
import re
import sys
from pathlib import Path

# Paths (within their file) of values a fit produced.
FITTED = {
    "classifier.json": re.compile(r"^(coefficients|intercepts|used_features)\b"),
    "expected.json": re.compile(r"^cases\[\d+\]\.(values|label|class_index|positives|occlusion)\b"),
    "card.json": re.compile(r"^(golden\[\d+\]\.(values|label)|metrics|training|threshold)\b"),
}


class Report:
    def __init__(self, rtol: float, strict: bool) -> None:
        self.rtol = rtol
        self.strict = strict
        self.problems: list[str] = []
        self.fitted: list[str] = []
        self.worst = 0.0
        self.worst_fitted = 0.0

    def differ(self, where: str, message: str, fitted: bool) -> None:
        (self.fitted if fitted and not self.strict else self.problems).append(f"{where}: {message}")

    def number(self, where: str, a: float, b: float, fitted: bool, rtol: float | None = None) -> None:
        if a == b:
            return
        scale = max(abs(a), abs(b))
        relative = abs(a - b) / scale if scale > 0 else 0.0
        if fitted:
            self.worst_fitted = max(self.worst_fitted, relative)
        else:
            self.worst = max(self.worst, relative)
        if not math.isclose(a, b, rel_tol=rtol if rtol is not None else self.rtol, abs_tol=1e-300):
            self.differ(where, f"{a!r} != {b!r} (relative {relative:.2e})", fitted)


def compare_json(a, b, path: str, file: str, report: Report, fitted: bool = False) -> None:
    pattern = FITTED.get(Path(file).name)
    fitted = fitted or (pattern is not None and pattern.match(path) is not None)
    where = f"{file}: {path or '(top level)'}"
    if isinstance(a, bool) or isinstance(b, bool) or a is None or b is None or isinstance(a, str):
        if a != b or type(a) is not type(b):
            report.differ(where, f"{short(a)} != {short(b)}", fitted)
        return
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        report.number(where, a, b, fitted)
        return
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            report.differ(where, f"{len(a)} items != {len(b)} items", fitted)
            return
        for i, (x, y) in enumerate(zip(a, b)):
            compare_json(x, y, f"{path}[{i}]", file, report, fitted)
        return
    if isinstance(a, dict) and isinstance(b, dict):
        if list(a) != list(b):
            report.differ(where, f"keys {sorted(a)} != {sorted(b)}", fitted)
            return
        for key in a:
            compare_json(a[key], b[key], f"{path}.{key}" if path else key, file, report, fitted)
        return
    report.differ(where, f"{type(a).__name__} != {type(b).__name__}", fitted)


def short(value) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 80 else text[:77] + "..."


def compare_onnx(a: Path, b: Path, file: str, report: Report) -> None:
    """The graph's structure exactly; its weights (float attributes and initializers) as fitted."""
    import numpy as np
    import onnx
    from onnx import numpy_helper

    model_a, model_b = onnx.load(str(a)), onnx.load(str(b))
    weights_a = {t.name: numpy_helper.to_array(t) for t in model_a.graph.initializer}
    weights_b = {t.name: numpy_helper.to_array(t) for t in model_b.graph.initializer}
    if sorted(weights_a) != sorted(weights_b):
        report.differ(file, f"initializers {sorted(weights_a)} != {sorted(weights_b)}", False)
        return
    for name, wa in weights_a.items():
        wb = weights_b[name]
        if wa.shape != wb.shape or wa.dtype != wb.dtype:
            report.differ(file, f"initializer {name}: {wa.dtype}{wa.shape} != {wb.dtype}{wb.shape}", False)
            continue
        floating = np.issubdtype(wa.dtype, np.floating)
        for va, vb in zip(wa.ravel().tolist(), wb.ravel().tolist()):
            if floating:
                report.number(f"{file}: initializer {name}", va, vb, True, rtol=1e-6)
            elif va != vb:
                report.differ(f"{file}: initializer {name}", "differs", False)
                break
    del model_a.graph.initializer[:]
    del model_b.graph.initializer[:]
    if len(model_a.graph.node) != len(model_b.graph.node):
        report.differ(file, "the graphs have different nodes", False)
        return
    for node_a, node_b in zip(model_a.graph.node, model_b.graph.node):
        if node_a.op_type == node_b.op_type == "TreeEnsembleClassifier":
            # The trees themselves are what a fit produced (splits follow the float path).
            if node_a.SerializeToString() != node_b.SerializeToString():
                report.differ(f"{file}: node {node_a.name}", "the fitted trees differ", True)
            for node in (node_a, node_b):
                del node.attribute[:]
            continue
        floats_a = {t.name: (list(t.floats) or [t.f]) for t in node_a.attribute if t.type in (1, 6)}
        floats_b = {t.name: (list(t.floats) or [t.f]) for t in node_b.attribute if t.type in (1, 6)}
        if sorted(floats_a) != sorted(floats_b):
            report.differ(file, f"node {node_a.name}: float attributes differ", False)
            continue
        for name, values in floats_a.items():
            other = floats_b[name]
            if len(values) != len(other):
                report.differ(file, f"node {node_a.name}.{name}: {len(values)} != {len(other)} values", False)
                continue
            for va, vb in zip(values, other):
                report.number(f"{file}: node {node_a.name}.{name}", va, vb, True, rtol=1e-6)
        for node in (node_a, node_b):
            kept = [t for t in node.attribute if t.type not in (1, 6)]
            del node.attribute[:]
            node.attribute.extend(kept)
    if model_a.SerializeToString() != model_b.SerializeToString():
        report.differ(file, "the graphs differ (beyond their weights)", False)


def compare_trees(left: Path, right: Path, report: Report) -> None:
    files_left = {p.relative_to(left) for p in left.rglob("*") if p.is_file()}
    files_right = {p.relative_to(right) for p in right.rglob("*") if p.is_file()}
    for missing in sorted(files_left - files_right):
        report.differ(str(missing), f"only in {left}", False)
    for extra in sorted(files_right - files_left):
        report.differ(str(extra), f"only in {right}", False)
    for rel in sorted(files_left & files_right):
        a, b = left / rel, right / rel
        if a.read_bytes() == b.read_bytes():
            continue
        if rel.suffix == ".json":
            compare_json(
                json.loads(a.read_text(encoding="utf-8")),
                json.loads(b.read_text(encoding="utf-8")),
                "",
                str(rel),
                report,
            )
        elif rel.suffix == ".onnx":
            compare_onnx(a, b, str(rel), report)
        else:
            report.differ(str(rel), "differs byte for byte", False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("committed", type=Path)
    parser.add_argument("regenerated", type=Path)
    parser.add_argument("--rtol", type=float, default=1e-9, help="relative tolerance for numbers")
    parser.add_argument("--strict", action="store_true", help="fitted values must match too")
    args = parser.parse_args(argv)
    report = Report(args.rtol, args.strict)
    compare_trees(args.committed, args.regenerated, report)
    if report.fitted:
        print(
            f"fitted values differ in {len(report.fitted)} places (largest relative difference "
            f"{report.worst_fitted:.1e}; another CPU's float path through the solver), e.g.:"
        )
        for line in report.fitted[:5]:
            print(f"  {line}")
    if report.problems:
        print(f"{len(report.problems)} differences beyond the tolerance in what the data and settings determine:")
        for problem in report.problems[:40]:
            print(f"  {problem}")
        if len(report.problems) > 40:
            print(f"  ... {len(report.problems) - 40} more")
        return 1
    print(f"data and settings: same (largest relative difference in a number {report.worst:.1e})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
