#!/usr/bin/env python3
"""Check JSON files against a JSON Schema (draft 2020-12).

Usage: check_json.py SCHEMA FILE...

Prints one line per file ("ok FILE" or "FAIL FILE: path: message") and a final
"N passed, M failed"; exits 0 only if M == 0 (1 if a file fails or the schema
is invalid, 2 on usage errors, 3 if the jsonschema module is missing).
"""
import json
import sys

try:
    import jsonschema
    from jsonschema.exceptions import best_match
except ImportError as exc:  # pragma: no cover
    print(f"error: missing Python module ({exc}); run: pip install jsonschema", file=sys.stderr)
    sys.exit(3)


def fmt_path(path):
    s = ""
    for part in path:
        s += f"[{part}]" if isinstance(part, int) else ("." if s else "") + str(part)
    return s or "(document)"


def one_line(text):
    return " ".join(str(text).split())


def main(argv):
    if len(argv) < 2:
        print("usage: check_json.py SCHEMA FILE...", file=sys.stderr)
        return 2
    schema_path, files = argv[0], argv[1:]
    try:
        with open(schema_path, "r", encoding="utf-8") as fh:
            schema = json.load(fh)
        jsonschema.Draft202012Validator.check_schema(schema)
    except (OSError, ValueError, jsonschema.exceptions.SchemaError) as exc:
        msg = exc.message if isinstance(exc, jsonschema.exceptions.SchemaError) else exc
        print(f"FAIL schema {schema_path}: {one_line(msg)}")
        print("0 passed, 1 failed")
        return 1
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())

    passed = failed = 0
    for path in files:
        try:
            with open(path, "r", encoding="utf-8") as fh:
                document = json.load(fh)
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            print(f"FAIL {path}: {one_line(exc)}")
            failed += 1
            continue
        error = best_match(validator.iter_errors(document))
        if error is None:
            print(f"ok {path}")
            passed += 1
        else:
            print(f"FAIL {path}: {fmt_path(error.absolute_path)}: {one_line(error.message)}")
            failed += 1
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
