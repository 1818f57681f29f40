#!/usr/bin/env python3
"""Writes random texts mixing every character class the split pattern cares about.

Usage: make_fuzz.py OUT.json [COUNT] [SEED]
"""
import json
import random
import sys

POOL = (
    list("abcXYZéßжاन्日本ーſKǅʰ") + list("07٣½Ⅳ²") + [" "] * 6 + ["\t", "\n", "\r", "\r\n", "\u00a0",
    "\u3000", "\u0085", "\u000b", "\u000c", "\u2029", "\u2028", "\u1680", "\u200b"]
    + list("'’.,!-_()\"#/\\:;") + ["'s", "'S", "'ll", "'LL", "'re", "'Ve", "'d", "'ſ", "'t", "'M"]
    + ["😀", "👍🏽", "\u200d", "\u0301", "🇫🇷", "\U0001d518", "\U00020000", "\U000e0001"]
    + ["the", " the", "ing", "tion", "123", "4567", "  ", "\n\n", " \n", "<|endoftext|>", "   ", "\t\n"]
)

out = sys.argv[1]
count = int(sys.argv[2]) if len(sys.argv) > 2 else 20000
rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 1)
texts = ["".join(rng.choice(POOL) for _ in range(rng.randint(1, 60))) for _ in range(count)]
texts += ["".join(chr(rng.randint(0x20, 0x2FFF)) for _ in range(rng.randint(1, 30))) for _ in range(count // 4)]


def any_scalar():
    """Any assigned or unassigned scalar, weighted towards the BMP and the CJK planes."""
    while True:
        value = rng.choice([rng.randint(0x80, 0x10FFFF), rng.randint(0x80, 0x33FFF), rng.randint(0x80, 0xFFFF)])
        if not 0xD800 <= value <= 0xDFFF:
            return chr(value)


texts += ["".join(any_scalar() if rng.random() < 0.6 else rng.choice(" a1\n'.") for _ in range(rng.randint(1, 40)))
          for _ in range(count)]
with open(out, "w", encoding="utf-8") as handle:
    json.dump(texts, handle, ensure_ascii=False)
