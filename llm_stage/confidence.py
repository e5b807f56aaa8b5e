"""Field confidence: how likely an extracted value is right, from the model's own token
probabilities while it decoded the value plus agreement signals (grounding, the value having the
shape its field asks for, the value repeating another field's), mapped to [0, 1] by a logistic
calibration fitted on the synthetic validation split (`make calibrate`).

A calibration belongs to one model: it is stored as `calibration.json` beside the adapter it was
fitted for; a model without one gets the geometric mean token probability of the value.
"""

from __future__ import annotations

import math
from pathlib import Path

from pydantic import BaseModel, Field, model_validator

from .value_rules import rule_for_field

FEATURES = (
    "mean_lp",  # mean log-probability of the tokens the model chose for the value
    "min_lp",  # the least likely of them
    "first_lp",  # the opening token (string vs null, and where the value starts)
    "null",  # the value is null
    "grounded",  # found on an OCR line (1 for null)
    "shape_ok",  # a date/amount field holds a whole date/amount (1 for other fields)
    "duplicate",  # the same value was given for another field of the answer
    "bias",
    # signals that transfer to real documents (llm_stage.signals)
    "ocr_score",  # the recogniser's score of the value's source line (1 for null)
    "repaired",  # a repair rewrote (or removed) the model's value
    "disagree",  # a second decoding of the field gave another value
    "label_near",  # a label for the field is printed on the value's row or the row above
    "implausible",  # a date years from the page's others, an amount above the printed total
    "arith",  # net + tax = gross among the answer's amounts: +1 holds, -1 fails, 0 not checkable
    "char_score",  # the recogniser's confidence of the value's least sure character (1 for null)
)
_NO_SIGNALS = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0]
# features recorded but not fitted: the synthetic pages a calibration is fitted on are clean renders
# whose OCR has almost no unsure characters, so a fit learns nothing true about `char_score` (it
# came out negative, leaning on its overlap with `ocr_score`); it flags values by a rule instead
# (llm_stage.signals.UNSURE_CHARACTER)
NOT_FITTED = ("char_score",)
FITTED = tuple(f for f in FEATURES if f not in NOT_FITTED)
CALIBRATION_FILE = "calibration.json"


class Calibration(BaseModel):
    """Logistic map from FEATURES to the probability that a value is right, with the review
    threshold chosen from the same data."""

    weights: list[float]
    # the feature each weight belongs to; a calibration saved without them (before the signals were
    # added) has its weights in FEATURES order
    features: list[str] = Field(default_factory=list)
    threshold: float = 0.5
    fitted_on: str = ""
    n: int = 0
    ece: float | None = None
    reliability: list[dict] = Field(default_factory=list)

    @model_validator(mode="after")
    def _name_weights(self):
        if not self.features:
            self.features = list(FEATURES[: len(self.weights)])
        return self

    def confidence(self, x: list[float]) -> float:
        """`x` in FEATURES order; each weight is applied to the feature it was fitted for."""
        idx = {f: i for i, f in enumerate(FEATURES)}
        z = sum(w * x[idx[f]] for w, f in zip(self.weights, self.features, strict=True) if f in idx)
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def save(self, folder: str | Path) -> Path:
        p = Path(folder) / CALIBRATION_FILE
        p.write_text(self.model_dump_json(indent=1) + "\n", encoding="utf-8")
        return p


def load_calibration(folder: str | Path | None) -> Calibration | None:
    if folder is None:
        return None
    p = Path(folder) / CALIBRATION_FILE
    if not p.is_file():
        return None
    return Calibration.model_validate_json(p.read_text(encoding="utf-8"))


def value_features(
    key: str,
    value,
    logprobs: list[float] | None,
    grounded: bool,
    values: dict,
    signals: list[float] | None = None,
) -> list[float] | None:
    """FEATURES for one field of an answer (`signals`: llm_stage.signals' for it, neutral when not
    given); None when the backend gave no token probabilities."""
    if not logprobs:
        return None
    is_null = value is None
    shape_ok = 1.0
    rule = rule_for_field(key)
    if rule is not None and isinstance(value, str):
        shape_ok = float(rule.complete_ok(value))
    dup = 0.0
    if isinstance(value, str):
        dup = float(
            any(k != key and isinstance(v, str) and v.strip() == value.strip() for k, v in values.items())
        )
    return [
        sum(logprobs) / len(logprobs),
        min(logprobs),
        logprobs[0],
        float(is_null),
        1.0 if is_null else float(grounded),
        shape_ok,
        dup,
        1.0,
        *(signals if signals is not None else _NO_SIGNALS),
    ]


def confidence_of(calibration: Calibration | None, x: list[float]) -> float:
    if calibration is None:  # confidence = exp(mean_lp), the geometric mean token probability
        return math.exp(x[0])
    return calibration.confidence(x)


# ------------------------------------------------------------------------------------ fitting


def fit(xs: list[list[float]], ys: list[int], l2: float = 1e-2, iters: int = 50) -> list[float]:
    """Logistic regression by Newton's method with a small L2 penalty (no sklearn needed)."""
    import numpy as np

    x = np.asarray(xs, dtype=float)
    y = np.asarray(ys, dtype=float)
    w = np.zeros(x.shape[1])
    reg = l2 * np.eye(x.shape[1])
    reg[-1, -1] = 0.0  # the bias is not penalised
    for _ in range(iters):
        p = 1.0 / (1.0 + np.exp(-np.clip(x @ w, -30, 30)))
        g = x.T @ (p - y) + reg @ w
        h = (x * (p * (1 - p))[:, None]).T @ x + reg + 1e-9 * np.eye(x.shape[1])
        step = np.linalg.solve(h, g)
        w -= step
        if float(np.abs(step).max()) < 1e-8:
            break
    return [float(v) for v in w]


def reliability_table(conf: list[float], ys: list[int], bins: int = 10) -> tuple[list[dict], float]:
    """Rows (bin range, count, mean confidence, accuracy) and the expected calibration error."""
    rows, ece, n = [], 0.0, len(conf)
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        idx = [i for i, c in enumerate(conf) if (lo <= c < hi) or (b == bins - 1 and c == 1.0)]
        if not idx:
            continue
        mc = sum(conf[i] for i in idx) / len(idx)
        acc = sum(ys[i] for i in idx) / len(idx)
        ece += len(idx) / max(1, n) * abs(mc - acc)
        rows.append(
            {
                "bin": f"{lo:.1f}-{hi:.1f}",
                "n": len(idx),
                "confidence": round(mc, 3),
                "accuracy": round(acc, 3),
            }
        )
    return rows, ece


def choose_threshold(conf: list[float], ys: list[int], max_right_flagged: float = 0.08) -> float:
    """The review threshold: the highest confidence below which at most `max_right_flagged` of the
    right values fall (so the flag costs a reviewer at most ~1 right value in 12 and catches as many
    wrong ones as the features allow); 0.5 when there are no right values."""
    right = sorted(c for c, y in zip(conf, ys, strict=True) if y)
    if not right:
        return 0.5
    k = int(max_right_flagged * len(right))  # this many right values may fall below the threshold
    return round(right[k], 4)
