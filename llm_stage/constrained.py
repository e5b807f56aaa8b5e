"""Constrained decoding of a flat JSON object: the keys and punctuation are forced, the model writes
only the values (a JSON string or null). Works on any causal LM exposed as a `step` function
(token ids + KV cache -> next-token logits + cache), so the forced segments cost one batched forward
pass each instead of one pass per token.

The check is done on token *bytes*, not decoded text: byte-level BPE splits a CJK character over
several tokens, and only whole bytes tell where an unescaped closing quote is.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial

# logits (1-D tensor over the vocabulary), cache
StepFn = Callable[[list[int], object], tuple[object, object]]

_ESCAPABLE = set(b'"\\/bfnrtu')
_QUOTE, _BACKSLASH, _SPACE = 0x22, 0x5C, 0x20
_NULL = b"null"


def token_byte_table(tokenizer) -> list[bytes | None]:
    """The bytes each token id stands for; None for special/control tokens the grammar never allows."""
    special = set(getattr(tokenizer, "all_special_ids", []) or [])
    vocab = tokenizer.get_vocab()
    size = max(len(tokenizer), max(vocab.values()) + 1)
    table: list[bytes | None] = [None] * size
    byte_decoder = _gpt2_byte_decoder()
    pieces = tokenizer.convert_ids_to_tokens(list(range(size)))
    byte_level = all(
        ch in byte_decoder for p in pieces[:2000] if p for ch in p if p and not p.startswith("<")
    )
    for i, piece in enumerate(pieces):
        if i in special or piece is None:
            continue
        if byte_level and all(ch in byte_decoder for ch in piece):
            table[i] = bytes(byte_decoder[ch] for ch in piece)
        elif len(piece) == 6 and piece.startswith("<0x") and piece.endswith(">"):  # sentencepiece byte
            table[i] = bytes([int(piece[3:5], 16)])
        elif piece.startswith("<") and piece.endswith(">") and len(piece) > 2:
            continue  # unregistered control token
        else:
            table[i] = piece.replace("\u2581", " ").encode("utf-8")
    return table


def _gpt2_byte_decoder() -> dict[str, int]:
    bs = (
        list(range(ord("!"), ord("~") + 1))
        + list(range(ord("¡"), ord("¬") + 1))
        + list(range(ord("®"), ord("ÿ") + 1))
    )
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {chr(c): b for b, c in zip(bs, cs, strict=True)}


@dataclass
class ConstrainedResult:
    values: dict[str, str | None]
    text: str
    tokens: int = 0  # answer tokens, forced ones included
    generated_tokens: int = 0  # tokens chosen by the model
    forward_passes: int = 0
    seconds: float = 0.0
    truncated: list[str] = field(default_factory=list)  # keys whose value hit the length cap


def _decode_value(content: bytes) -> str:
    raw = content.decode("utf-8", errors="ignore")
    try:
        return json.loads('"' + raw + '"')
    except json.JSONDecodeError:  # a cut escape at the length cap
        return raw.rstrip("\\").replace('\\"', '"')


class _Sampler:
    """Greedy choice among the tokens the grammar allows at this point."""

    def __init__(self, table: Sequence[bytes | None], stop_ids: set[int]):
        self.table = table
        self.stop_ids = stop_ids

    def choose(self, logits, accept: Callable[[bytes], object]):
        """(token id, accept()'s verdict) of the best allowed token, or (stop id, None) when the
        model's first choice is to stop."""
        import torch

        k = 32
        order = torch.topk(logits, k).indices.tolist()
        if order[0] in self.stop_ids:
            return order[0], None
        tried = 0
        while True:
            for tid in order[tried:]:
                b = self.table[tid] if tid < len(self.table) else None
                if b:
                    verdict = accept(b)
                    if verdict is not None:
                        return tid, verdict
            tried = len(order)
            if tried >= logits.shape[-1]:
                raise RuntimeError("no token satisfies the JSON grammar")
            order = torch.argsort(logits, descending=True).tolist()


def decode_json_object(
    step: StepFn,
    tokenizer,
    prompt_ids: list[int],
    keys: Sequence[str],
    *,
    table: Sequence[bytes | None],
    stop_ids: set[int],
    max_value_tokens: int = 96,
) -> ConstrainedResult:
    """Greedy decoding forced into `{"k1": <value>, "k2": <value>}` with exactly `keys` in order."""
    t0 = time.perf_counter()
    sampler = _Sampler(table, stop_ids)
    segments = [
        ("{" if i == 0 else ", ") + json.dumps(k, ensure_ascii=False) + ":" for i, k in enumerate(keys)
    ]
    segments.append("}")
    stats = {"tokens": 0, "gen": 0, "passes": 0}
    values: dict[str, str | None] = {}
    truncated: list[str] = []

    def encode(text: bytes) -> list[int]:
        return tokenizer.encode(text.decode("utf-8"), add_special_tokens=False) if text else []

    def feed(ids: list[int], cache):
        logits, cache = step(ids, cache)
        stats["passes"] += 1
        stats["tokens"] += len(ids)
        return logits, cache

    logits, cache = step(list(prompt_ids), None)
    stats["passes"] += 1
    pending = segments[0].encode("utf-8")  # forced bytes not yet fed to the model
    for i, key in enumerate(keys):
        nxt = segments[i + 1].encode("utf-8")
        logits, cache = feed(encode(pending), cache)
        # --- value start: optional single space, then '"' (string) or null
        space_used = False

        while True:
            tid, verdict = sampler.choose(logits, partial(_accept_start, nxt=nxt, space_used=space_used))
            if verdict is None:  # the model wants to stop: the field is absent
                verdict = ("stop",)
                break
            if verdict[0] != "space":
                break
            space_used = True
            logits, cache = feed([tid], cache)
            stats["gen"] += 1
        values[key] = None
        if verdict[0] == "null":
            logits, cache = feed([tid], cache)
            stats["gen"] += 1
            pending = verdict[1]
            continue
        if verdict[0] == "stop":
            pending = (b"" if space_used else b" ") + _NULL + nxt
            continue
        # --- string value: any bytes until an unescaped quote, no raw control characters
        content = bytearray()
        state = {"escape": False}
        logits, cache = feed([tid], cache)
        stats["gen"] += 1
        rest = verdict[1]
        closed, overflow = _scan(rest, state, content, nxt)
        n_value = 1
        while closed is None:
            if n_value >= max_value_tokens:
                truncated.append(key)
                if state["escape"]:
                    content += b"\\"
                pending = b'"' + nxt
                break

            tid, verdict = sampler.choose(logits, partial(_accept_str, state=state, nxt=nxt))
            if verdict is None:  # the model wants to stop inside the string: close it
                if state["escape"]:
                    content += b"\\"
                pending = b'"' + nxt
                break
            res, ov, st, buf = verdict
            state.update(st)
            content += buf
            logits, cache = feed([tid], cache)
            stats["gen"] += 1
            n_value += 1
            if res:
                closed, overflow = True, ov
                pending = nxt[len(ov) :]
        else:
            pending = nxt[len(overflow) :]
        values[key] = _decode_value(bytes(content))
    # the final '}' needs no forward pass: nothing follows it
    stats["tokens"] += len(encode(pending))
    text = json.dumps(values, ensure_ascii=False)
    return ConstrainedResult(
        values=values,
        text=text,
        tokens=stats["tokens"],
        generated_tokens=stats["gen"],
        forward_passes=stats["passes"],
        seconds=time.perf_counter() - t0,
        truncated=truncated,
    )


def _accept_start(b: bytes, *, nxt: bytes, space_used: bool):
    """At a value's start: one optional space, then '"' (a string) or null."""
    s = b[1:] if b[:1] == b" " and not space_used else b
    if not s:
        return ("space",) if b == b" " else None
    if s[:1] == b'"':
        ok, _ = _scan(s[1:], {"escape": False}, bytearray(), nxt)
        return None if ok is False else ("string", s[1:])
    if _NULL.startswith(s):
        return ("null", _NULL[len(s) :] + nxt)
    if s.startswith(_NULL) and nxt.startswith(s[4:]):
        return ("null", nxt[len(s) - 4 :])
    return None


def _accept_str(b: bytes, *, state: dict, nxt: bytes):
    """Inside a string value; the verdict carries the updated state and the value bytes."""
    st = dict(state)
    buf = bytearray()
    res, ov = _scan(b, st, buf, nxt)
    if res is False:
        return None
    return (res, ov, st, buf)


def _scan(b: bytes, state: dict, content: bytearray, nxt: bytes):
    """Feed token bytes `b` into a JSON string body. Returns (closed?, overflow) where closed is
    None (still open), True (closed by an unescaped quote; overflow = bytes after it, which must
    start the next forced segment) or False (the token breaks the grammar)."""
    for j, c in enumerate(b):
        if state["escape"]:
            if c not in _ESCAPABLE:
                return False, b""
            content.append(_BACKSLASH)
            content.append(c)
            state["escape"] = False
        elif c == _BACKSLASH:
            state["escape"] = True
        elif c == _QUOTE:
            ov = b[j + 1 :]
            if not nxt.startswith(ov):
                return False, b""
            return True, ov
        elif c < _SPACE:
            return False, b""
        else:
            content.append(c)
    return None, b""
