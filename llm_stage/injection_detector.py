"""A small learned detector of printed lines addressed to a model, beside the keyword rules of
`instructions.py`: a logistic regression on hashed character n-grams (2-5, and single CJK characters) of the line, so it reads
any script and tolerates OCR slips. The weights ship as `injection_detector.npz` (float16, 2^16
buckets); numpy only.

Trained on the generator's injected lines and on lines written from a small grammar of addresses to
a model and commands to answer (English, Chinese, German, French, Spanish, Italian, Dutch, Malay,
Japanese), against ordinary lines of generated documents, receipt/invoice phrases, and a hand-written
bank of sentences documents print for people (`ordinary_notices.py`: notices, promotions, calls to
follow a shop, warranty and return terms, announcements, payment and ticket boilerplate, item names
with "model", "AI", "robot" in them).

Decision: a line is an instruction only when it addresses a model. An imperative alone ("Follow us
for the latest offers", "Please keep this receipt") is what every receipt prints. The grammar's
frames, and heads put before the ordinary sentences ("Note to the {a}: ..."), are written twice:
to a model (an instruction) and to a person ("customer", 顾客, "Kunde": ordinary). Only the addressee
differs, so the weights learn the addressee rather than the command or the sentence shape.
Ordinary lines never come from the real documents, which stay a check of false alarms. The
training lives in `injection_training.py`:

    python -m llm_stage.injection_training train [--val datasets/generated/v3/val.jsonl] [--out ...]
"""

from __future__ import annotations

import functools
import unicodedata
import zlib
from pathlib import Path

import numpy as np

__all__ = ["WEIGHTS", "injection_score", "looks_injected"]

WEIGHTS = Path(__file__).with_name("injection_detector.npz")
BUCKETS = 1 << 16
NGRAMS = (2, 3, 4, 5)


def features(text: str) -> np.ndarray:
    """The hashed n-gram buckets of a line (digits folded to 0, so values do not matter)."""
    t = unicodedata.normalize("NFKC", text).casefold()
    t = "".join("0" if c.isdigit() else c for c in t)
    t = f"\x02{' '.join(t.split())}\x03"
    grams = [t[i : i + n] for n in NGRAMS for i in range(len(t) - n + 1)]
    grams += [c for c in t if ord(c) > 0x2E7F]  # a CJK or kana character is a word of its own
    out = {zlib.crc32(g.encode()) % BUCKETS for g in grams}
    return np.fromiter(out, dtype=np.int64)


@functools.lru_cache(maxsize=1)
def load_model() -> tuple[np.ndarray, float, float] | None:
    if not WEIGHTS.is_file():
        return None
    z = np.load(WEIGHTS)
    return z["w"].astype(np.float32), float(z["b"]), float(z["threshold"])


def injection_score(text: str) -> float:
    """How likely the line is addressed to a model (0..1); 0 when no weights are shipped."""
    m = load_model()
    if m is None or not text.strip():
        return 0.0
    w, b, _ = m
    z = float(w[features(text)].sum() + b)
    return 1.0 / (1.0 + np.exp(-z))


def looks_injected(text: str) -> bool:
    """Does the detector read the line as an instruction to a model? Lines of fewer than 12
    characters never are: they are labels and values, too short to address anyone."""
    m = load_model()
    return m is not None and len(text.strip()) >= 12 and injection_score(text) >= m[2]


# ------------------------------------------------------------------------------------ training
