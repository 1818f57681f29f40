#!/usr/bin/env python3
"""Generates cl100k_fixture.json: texts and the token ids Python tiktoken gives them.

Run with the tools venv from the package root:
    .venv/bin/python Tests/EmbedSyncTiktokenTests/make_fixture.py \
        --ranks ../../shared/data/cl100k_base.tiktoken
The ranks file is placed in a temporary TIKTOKEN_CACHE_DIR under its SHA-1 cache name, so the
real tiktoken `cl100k_base` definition (pattern and ranks) produces the reference ids.
"""
import argparse
import hashlib
import json
import os
import random
import shutil
import subprocess
import tempfile

URL = "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken"

HANDWRITTEN = [
    "", " ", "  ", "\n", "\r\n", "\t", "a", "A", "hello world", "Hello, World!",
    "The quick brown fox jumps over the lazy dog.",
    "Title: The Left Hand of Darkness\nGenre: Science fiction\nYear: 1969\n",
    "Title: Dune\r\nGenre: Sci-Fi\r\nRating: 4.5/5\r\n",
    "name: libssl3\nversion: 3.0.11-1~deb12u2\nsize: 2,031,620 bytes",
    "id=550e8400-e29b-41d4-a716-446655440000 sha=9f86d081884c7d659a2feaa0c55ad015",
    "1234567890", "3.14159265358979", "1,000,000", "-42", "+1 (555) 123-4567", "2024-05-09T07:35:25Z",
    "0x7fffffff 0b1010 1e-9 1_000_000", "١٢٣٤٥ ٦٧٨٩٠", "१२३४५", "Ⅻ ⅷ ½ ² ③",
    "日本語のテキストです。東京は日本の首都です。", "中文文本，包括标点符号。", "한국어 텍스트입니다.",
    "مرحبا بالعالم. هذا نص عربي.", "नमस्ते दुनिया, यह हिंदी पाठ है।", "Привет, мир! Ёжик в тумане.",
    "Ελληνικά κείμενα με τόνους: άέήίόύώ", "עברית: שלום עולם", "ภาษาไทยไม่มีช่องว่าง",
    "😀 😃 😄", "👨‍👩‍👧‍👦 family", "🇫🇷🇩🇪🇯🇵 flags", "👍🏽 thumbs", "🏳️‍🌈", "❤️‍🔥 emoji zwj",
    "café naïve résumé façade", "cafe\u0301 nai\u0308ve", "Ångström Øresund Æsir ß ẞ",
    "def f(x):\n    return x ** 2  # square\n", "for (int i = 0; i < n; ++i) {\n\tsum += a[i];\n}\n",
    "if x != y && y >= z || !done { print(\"ok\") }", "<html><body class=\"x\">Hi &amp; bye</body></html>",
    "SELECT * FROM items WHERE id = 'abc' AND n >= 10;", "{\"key\": [1, 2, 3], \"nested\": {\"a\": null}}",
    "a  b   c    d", "trailing spaces   ", "trailing tab\t", "trailing newline\n", "trailing\n\n",
    "trailing newline and spaces\n  ", "trailing spaces then newlines  \n\n", "  leading spaces",
    "\n\nleading newlines", "mixed \t \n \r\n whitespace", "line1\r\nline2\r\n\r\nline4",
    "a\n \nb", "a \n b", "a\t\tb", "x\u00a0y", "x\u00a0\u00a0y", "x\u3000y", "x\u2028y", "x\u0085y",
    "x\u000by\u000cz", "\u00a0lead nbsp", "end nbsp\u00a0", "  \u00a0word", "\r\r\n\n", " \r\n ",
    "<|endoftext|>", "before <|endoftext|> after", "<|fim_prefix|>x<|fim_suffix|>",
    "don't can't won't it's I'm you're we've they'll he'd", "DON'T IT'S I'M YOU'RE WE'VE THEY'LL HE'D",
    "It'S It'T We'Re", "don’t it’s I’m", "'s 't 're 've 'm 'll 'd", "'S", "''s", "'", "'x", "'re'",
    "rock'n'roll", "o'clock", "'ſ x'ſt", "l'Ll x'LL", "'dog", "' s", "1's", "'123",
    "supercalifragilisticexpialidocious",
    "pneumonoultramicroscopicsilicovolcanoconiosis " * 3,
    "a" * 300, "ab" * 200, "Lorem" * 80, "x" * 1000 + " y", "!" * 500, "9" * 50,
    "https://example.com/path/to/resource?query=1&other=two#fragment",
    "user@example.com, another.person+tag@sub.domain.org",
    "C:\\Program Files\\App\\bin\\app.exe --flag=value -v",
    "$100.00 €50 £30 ¥1000 ₹500", "100% 50°C 3×4 ÷ ± ≤ ≥ ≠ ∞", "“quoted” ‘single’ «guillemets» „low“",
    "em—dash en–dash ellipsis… bullet • middle·dot", "ALL CAPS SENTENCE HERE", "camelCaseIdentifierName",
    "snake_case_identifier_name", "kebab-case-name", "MixedCASE123abc456DEF", "abc123def456",
    "v1.2.3-beta+build.45", "ISBN 978-3-16-148410-0", "\"\"\"docstring\"\"\"", "...", "?!?!", "--",
    "\u200b zero width", "soft\u00adhyphen", "combining \u0301 mark", "\u0301\u0301\u0301",
    "\U000323b0.a \U00032a14.a", "Unicode 16 \u1c89.a \U00010d50.a \U00016d40.a", "\U0003347f.a",
    "ﬁ ligature", "Ｆｕｌｌｗｉｄｔｈ", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 math", "𠜎𠜱𠝹 rare CJK", "\U0001F600\U0001F601",
]

POOL = (
    ["a", "b", "Z", "é", "ß", "ж", "ا", "न", "्", "日", "本", "ー", "ſ", "K", "ǅ", "ʰ"]
    + ["0", "7", "٣", "½", "Ⅳ", "²"]
    + [" ", " ", " ", "\t", "\n", "\r", "\r\n", "\u00a0", "\u3000", "\u0085", "\u000b", "\u2029"]
    + ["'", "'s", "'LL", "’", ".", ",", "!", "-", "_", "(", ")", "\"", "#", "😀", "👍🏽", "\u200d", "\u0301"]
    + ["the", "The", " the", "ing", "tion", "123", "4567", "  ", "\n\n", " \n", "<|endoftext|>"]
)


def random_texts(count, seed):
    rng = random.Random(seed)
    texts = []
    for _ in range(count):
        length = rng.randint(1, 40)
        texts.append("".join(rng.choice(POOL) for _ in range(length)))
    return texts


def debian_descriptions(count):
    corpus = os.path.join(os.environ.get("PERF_DIR", "/tmp/perf-anchors"), "debian_packages.jsonl")
    texts = []
    if os.path.exists(corpus):
        with open(corpus, encoding="utf-8") as handle:
            rows = [json.loads(line) for line in handle]
        step = max(1, len(rows) // count)
        for row in rows[::step][:count]:
            texts.append(f"Package: {row.get('name', '')}\nSection: {row.get('section', '')}\n"
                         f"Description: {row.get('description', '')}")
        return texts
    try:
        dump = subprocess.run(["apt-cache", "dumpavail"], capture_output=True, text=True).stdout
    except OSError:
        return texts
    records = dump.split("\n\n")
    step = max(1, len(records) // count)
    return [record for record in records[::step][:count] if record.strip()]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ranks", required=True)
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "cl100k_fixture.json"))
    args = parser.parse_args()
    cache = tempfile.mkdtemp()
    shutil.copy(args.ranks, os.path.join(cache, hashlib.sha1(URL.encode()).hexdigest()))
    os.environ["TIKTOKEN_CACHE_DIR"] = cache
    import tiktoken

    encoding = tiktoken.get_encoding("cl100k_base")
    texts = HANDWRITTEN + random_texts(200, seed=20240509) + debian_descriptions(80)
    cases = [{"text": text, "tokens": encoding.encode_ordinary(text)} for text in texts]
    with open(args.out, "w", encoding="utf-8") as handle:
        # One case per line keeps diffs of the committed fixture readable.
        handle.write('{"tiktoken": %s, "encoding": "cl100k_base", "cases": [\n' % json.dumps(tiktoken.__version__))
        handle.write(",\n".join(json.dumps(case, ensure_ascii=False) for case in cases))
        handle.write("\n]}\n")
    shutil.rmtree(cache)
    print(f"wrote {len(cases)} cases to {args.out}")


if __name__ == "__main__":
    main()
