#!/usr/bin/env python3
"""corpus-pwsh-blocks.py — count the ```powershell code blocks of the PowerShell
7.5 reference docs, independently of opsbook (stdlib only, no Markdown library).

Used to pin the figures that crates/opsbook-classify/tests/corpus.rs asserts:
the number of blocks the Rust side must find, and how many of them hold a
character PowerShell reads as ASCII but the grammar does not (non-ASCII
dashes, curly quotes, odd spaces).

Fence rules (CommonMark, the subset these docs use): an opening fence is a
line of optional container prefix (spaces, `>` block-quote markers, list
markers' indentation), then 3+ backticks or tildes and an info string; the
block ends at a line with the same fence character, at least as many, and
nothing else. The language is the info string's first word, lower-cased.

Usage: scripts/corpus-pwsh-blocks.py [ROOT]   (default ../shared/corpus/powershell-docs/reference/7.5)
Prints JSON.
"""
import json
import os
import re
import sys

ROOT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(__file__), "..", "..", "shared", "corpus", "powershell-docs", "reference", "7.5")

OPEN = re.compile(r"^((?:\s*>)*\s*)(`{3,}|~{3,})\s*([^\s{`]*)(.*)$")
DASHES = {0x2010, 0x2011, 0x2012, 0x2013, 0x2014, 0x2015, 0x2212, 0xFE63, 0xFF0D}
INVISIBLE = {0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF}
QUOTES = {0x2018, 0x2019, 0x201A, 0x201B, 0x201C, 0x201D, 0x201E}


def odd_space(c: str) -> bool:
    o = ord(c)
    return o in (0x00A0, 0x0085, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000) or 0x2000 <= o <= 0x200A


def blocks(path):
    with open(path, encoding="utf-8-sig") as f:
        lines = f.read().replace("\r\n", "\n").split("\n")
    i = 0
    while i < len(lines):
        m = OPEN.match(lines[i])
        if not m or (m.group(2)[0] == "`" and "`" in m.group(4)):
            i += 1
            continue
        fence, lang = m.group(2), m.group(3).lower()
        prefix_len = len(m.group(1))
        body = []
        j = i + 1
        while j < len(lines):
            stripped = re.sub(r"^(?:\s*>)*\s*", "", lines[j])
            if stripped.startswith(fence[0] * len(fence)) and stripped.strip() == fence[0] * len(stripped.strip()):
                break
            body.append(lines[j][prefix_len:] if lines[j][:prefix_len].strip() in ("", ">") else lines[j].lstrip())
            j += 1
        yield lang, "\n".join(body)
        i = j + 1


def main():
    files = sorted(os.path.join(d, f) for d, _, fs in os.walk(ROOT) for f in fs if f.endswith(".md"))
    n = dash = quote = space = invisible = empty = 0
    for p in files:
        for lang, code in blocks(p):
            if lang != "powershell":
                continue
            n += 1
            dash += any(ord(c) in DASHES for c in code)
            quote += any(ord(c) in QUOTES for c in code)
            space += any(odd_space(c) for c in code)
            invisible += any(ord(c) in INVISIBLE for c in code)
            empty += code.strip() == ""
    print(json.dumps({
        "files": len(files),
        "powershell_blocks": n,
        "blocks_with_non_ascii_dash": dash,
        "blocks_with_curly_quote": quote,
        "blocks_with_odd_space": space,
        "blocks_with_invisible_character": invisible,
        "empty_blocks": empty,
    }, indent=2))


if __name__ == "__main__":
    main()
