#!/usr/bin/env python3
"""Makes the generated Kotlin's string lowering total (issue 10, point 1).

uniffi 0.32 encodes a Kotlin String to UTF-8 with `CodingErrorAction.REPORT`, so a string
holding a lone UTF-16 surrogate (an emoji cut in half by `take(n)`) throws
`MalformedInputException` before the call reaches the core: not a CordonException, and a
panic alarm with such a note is never stored. uniffi has no setting for this, so this step
changes that one line of each generated file: each lone surrogate is encoded as U+FDD0, a
Unicode noncharacter (reserved for exactly this kind of internal use, never in text people
exchange). The core's text rule refuses noncharacters with the rule `MALFORMED_TEXT` and
the field's name, and an alarm replaces them with U+FFFD and notes the repair, so the app
gets a typed error or a stored alarm, never a foreign exception.

Usage: patch-strings.py DIR   (every *.kt below DIR; fails if a file that lowers strings
does not have the expected line, e.g. after a uniffi upgrade, so the patch cannot silently
stop applying)
"""
import pathlib
import sys

REPORT = "onMalformedInput(CodingErrorAction.REPORT)"
# EF B7 90 is U+FDD0 in UTF-8.
REPLACE = ("onMalformedInput(CodingErrorAction.REPLACE)\n"
           "            replaceWith(byteArrayOf(0xEF.toByte(), 0xB7.toByte(), 0x90.toByte()))")


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    patched = 0
    for path in sorted(pathlib.Path(sys.argv[1]).rglob("*.kt")):
        text = path.read_text(encoding="utf-8")
        if "object FfiConverterString" not in text:
            continue
        if text.count(REPORT) != 1:
            print(f"patch-strings.py: {path}: expected one '{REPORT}'", file=sys.stderr)
            return 1
        path.write_text(text.replace(REPORT, REPLACE), encoding="utf-8")
        patched += 1
    if patched == 0:
        print("patch-strings.py: no generated FfiConverterString found", file=sys.stderr)
        return 1
    print(f"  string lowering made total in {patched} generated Kotlin file(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
