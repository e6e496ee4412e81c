#!/usr/bin/env python3
"""Check YAML manifests against the vmctl JSON Schema.

Usage: check_schema.py SCHEMA --valid PATH... --invalid PATH...

Each PATH is a YAML file or a folder (every *.yaml / *.yml inside, recursively,
sorted). Every document of a --valid file must validate; an --invalid file
counts as rejected when at least one of its documents fails validation or the
file fails to parse. Empty documents are skipped.

YAML is read with YAML 1.2 core-schema scalars (true/false only as booleans,
no sexagesimal numbers or timestamps), like vmctl and yaml-language-server;
duplicate mapping keys are parse errors.

Prints one line per file and a final "N passed, M failed"; exits 0 only if
M == 0 (2 on usage errors, 3 if jsonschema or PyYAML is missing).
"""
import argparse
import json
import re
import sys
from pathlib import Path

try:
    import jsonschema
    import yaml
    from jsonschema.exceptions import best_match
except ImportError as exc:  # pragma: no cover
    print(f"error: missing Python module ({exc}); run: pip install jsonschema pyyaml", file=sys.stderr)
    sys.exit(3)


class Yaml12Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 core-schema implicit typing and duplicate-key errors."""

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            _check_duplicate_keys(self, node)
        return super().construct_mapping(node, deep=deep)


Yaml12Loader.yaml_implicit_resolvers = {}
for _tag, _regexp, _first in [
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", list("tTfF")),
    ("tag:yaml.org,2002:int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", list("-+0123456789")),
    ("tag:yaml.org,2002:float",
     r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
     list("-+.0123456789")),
    ("tag:yaml.org,2002:merge", r"^(?:<<)$", ["<"]),
]:
    Yaml12Loader.add_implicit_resolver(_tag, re.compile(_regexp), _first)


def _construct_int(loader, node):
    text = loader.construct_scalar(node)
    if text.startswith("0o"):
        return int(text[2:], 8)
    if text.startswith("0x"):
        return int(text[2:], 16)
    return int(text, 10)


def _construct_float(loader, node):
    text = loader.construct_scalar(node).lower()
    if text.endswith("inf"):
        return float("-inf") if text.startswith("-") else float("inf")
    if text == ".nan":
        return float("nan")
    return float(text)


def _check_duplicate_keys(loader, node):
    seen = set()
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue
        key = loader.construct_object(key_node, deep=True)
        try:
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping", node.start_mark,
                    f"found duplicate key {key!r}", key_node.start_mark)
            seen.add(key)
        except TypeError:
            pass  # unhashable key: the base constructor reports it


Yaml12Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)
Yaml12Loader.add_constructor("tag:yaml.org,2002:float", _construct_float)


def collect(paths):
    """Expand files and folders (recursively, sorted) into (path, error) pairs."""
    out = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            files = sorted((f for f in p.rglob("*") if f.is_file() and f.suffix in (".yaml", ".yml")), key=str)
            if not files:
                out.append((p, "folder holds no *.yaml/*.yml files"))
            out.extend((f, None) for f in files)
        elif p.is_file():
            out.append((p, None))
        else:
            out.append((p, "no such file or folder"))
    return out


def fmt_path(path):
    s = ""
    for part in path:
        if isinstance(part, int):
            s += f"[{part}]"
        else:
            s += ("." if s else "") + str(part)
    return s or "(document)"


def first_error(validator, doc):
    error = best_match(validator.iter_errors(doc))
    if error is None:
        return None
    message = error.message
    if error.validator == "pattern" and isinstance(error.schema, dict) and "patternErrorMessage" in error.schema:
        message = f"{error.instance!r} {error.schema['patternErrorMessage']}"
    return f"{fmt_path(error.absolute_path)}: {message}"


def check_file(validator, path):
    """Return (docs_checked, [(doc_index, message)]) or raise on read/parse errors."""
    with open(path, "r", encoding="utf-8") as fh:
        docs = list(yaml.load_all(fh, Loader=Yaml12Loader))
    failures, count = [], 0
    for index, doc in enumerate(docs, start=1):
        if doc is None:
            continue
        count += 1
        msg = first_error(validator, doc)
        if msg is not None:
            failures.append((index, msg))
    return count, failures


def one_line(text):
    return " ".join(str(text).split())


def main(argv=None):
    ap = argparse.ArgumentParser(description="Check YAML manifests against a JSON Schema (draft 2020-12).")
    ap.add_argument("schema", metavar="SCHEMA", help="JSON Schema file")
    ap.add_argument("--valid", nargs="+", default=[], metavar="PATH", help="files/folders whose documents must all validate")
    ap.add_argument("--invalid", nargs="+", default=[], metavar="PATH", help="files/folders that must each be rejected")
    args = ap.parse_args(argv)
    if not args.valid and not args.invalid:
        ap.error("give at least one --valid or --invalid PATH")

    try:
        with open(args.schema, "r", encoding="utf-8") as fh:
            schema = json.load(fh)
        jsonschema.Draft202012Validator.check_schema(schema)
    except (OSError, ValueError, jsonschema.exceptions.SchemaError) as exc:
        msg = exc.message if isinstance(exc, jsonschema.exceptions.SchemaError) else exc
        print(f"FAIL schema {args.schema}: {one_line(msg)}")
        print("0 passed, 1 failed")
        return 1
    validator = jsonschema.Draft202012Validator(schema)

    passed = failed = 0
    for expect, paths in (("valid", args.valid), ("invalid", args.invalid)):
        for path, problem in collect(paths):
            if problem:
                print(f"FAIL {expect} {path}: {problem}")
                failed += 1
                continue
            try:
                count, failures = check_file(validator, path)
            except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
                if expect == "invalid":
                    print(f"ok rejected {path}: YAML error: {one_line(exc)}")
                    passed += 1
                else:
                    print(f"FAIL valid {path}: YAML error: {one_line(exc)}")
                    failed += 1
                continue
            if expect == "valid":
                if failures:
                    index, msg = failures[0]
                    print(f"FAIL valid {path}: document {index}: {one_line(msg)}")
                    failed += 1
                else:
                    print(f"ok valid {path}")
                    passed += 1
            else:
                if failures:
                    index, msg = failures[0]
                    print(f"ok rejected {path}: document {index}: {one_line(msg)}")
                    passed += 1
                else:
                    print(f"FAIL invalid {path}: not rejected ({count} document(s) validated)")
                    failed += 1
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
