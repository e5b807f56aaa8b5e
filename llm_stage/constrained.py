"""Constrained decoding of a flat JSON object: the keys and punctuation are forced, the model writes
only the values (a JSON string or null). Works on any causal LM exposed as a `step` function
(token ids + KV cache -> next-token logits + cache), so the forced segments cost one batched forward
pass each instead of one pass per token.

The check is done on token *bytes*, not decoded text: byte-level BPE splits a CJK character over
several tokens, and only whole bytes tell where an unescaped closing quote is.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from functools import partial

from .items import totals_rows
from .shapes import AMOUNT, CopySource, ValueRule
from .types import ITEM_KEYS

# logits (1-D tensor over the vocabulary), cache
StepFn = Callable[[list[int], object], tuple[object, object]]

_ESCAPABLE = set(b'"\\/bfnrtu')
MAX_ITEMS = 80  # records of one line-items list
MAX_LIST_TOKENS = 1536  # tokens of one line-items list, forced ones included
# tokens of one item cell: a description may run long, a number or a unit never does
ITEM_CELL_TOKENS = {
    "description": 64,
    "unit": 8,
    "quantity": 12,
    "unit_price": 16,
    "amount": 16,
    "tax_rate": 8,
    "tax": 16,
}
# the cells of an item record printed near its description: from the row above its first row
# ("1x 000007996511 75.00" above "AMBROSIAL GREEK") to the row below its last ("COFFEE" above
# "2 x 3.50 7.00"), and below the amounts of the record before (a quantity or unit price is free)
ROW_CELLS = ("amount", "tax_rate", "tax")
ROW_REACH = 1  # rows above the description's first row and below its last that its amounts may take
MONEY_CELLS = ("unit_price", "amount", "tax")  # amounts: one of the document's money spans
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
    values: dict[str, str | list[dict[str, str | None]] | None]
    text: str
    tokens: int = 0  # answer tokens, forced ones included
    generated_tokens: int = 0  # tokens chosen by the model
    forward_passes: int = 0
    seconds: float = 0.0
    truncated: list[str] = field(default_factory=list)  # keys whose value hit the length cap
    # per key: the model's log-probability (unconstrained softmax) of each token it chose for the
    # value (the opening token, the value's tokens and the closing one), the raw signal of confidence
    logprobs: dict[str, list[float]] = field(default_factory=dict)
    # keys whose value was refused at a dead end (no allowed continuation and no valid close)
    refused: list[str] = field(default_factory=list)
    drafted_tokens: int = 0  # value tokens taken from a document draft (no forward pass of their own)
    # line-item fields whose list stopped at the record or token cap: field -> records read
    items_cut: dict[str, int] = field(default_factory=dict)
    # line-item fields: per record, per cell, the log-probabilities of the cell's chosen tokens
    item_logprobs: dict[str, list[dict[str, list[float]]]] = field(default_factory=dict)


def _decode_value(content: bytes) -> str:
    raw = content.decode("utf-8", errors="ignore")
    try:
        return json.loads('"' + raw + '"')
    except json.JSONDecodeError:  # a cut escape at the length cap
        return raw.rstrip("\\").replace('\\"', '"')


_STOP = object()


class _Sampler:
    """Greedy choice among the tokens the grammar allows at this point."""

    def __init__(self, table: Sequence[bytes | None], stop_ids: set[int], max_scan: int = 4096):
        self.table = table
        self.stop_ids = stop_ids
        self.max_scan = max_scan

    def choose(self, logits, accept: Callable[[bytes], object], allow_stop: bool = True):
        """(token id, accept()'s verdict) of the best allowed token; (stop id, _STOP) when the model's
        first choice is to stop and stopping is allowed; (None, None) when none of the `max_scan`
        likeliest tokens is allowed (a dead end)."""
        import torch

        k = 32
        order = torch.topk(logits, k).indices.tolist()
        if allow_stop and order[0] in self.stop_ids:
            return order[0], _STOP
        tried = 0
        while True:
            for tid in order[tried:]:
                b = self.table[tid] if tid < len(self.table) else None
                if b:
                    verdict = accept(b)
                    if verdict is not None:
                        return tid, verdict
            tried = len(order)
            limit = min(logits.shape[-1], self.max_scan)
            if tried >= limit:
                return None, None
            order = torch.topk(logits, limit).indices.tolist()


class _StringValue:
    """One string value being decoded, with the checks that copy mode and a value rule add:
    every decoded byte must extend an occurrence in the document, the text must stay a prefix of
    the rule's shape, and a value closes only when non-empty, complete and not cut out of a number."""

    def __init__(
        self,
        nxt: bytes | tuple[bytes, ...],
        source: CopySource | None,
        rule: ValueRule | None,
        choices: list[bytes] | None = None,
    ):
        self.nxt = nxt
        self.source = source
        self.rule = rule
        self.choices = choices  # copy mode with a rule: the value is one of these spans
        self.decoded = bytearray()
        self.content = bytearray()  # the JSON string body as written (escapes kept)
        self.escape = False
        self.copy_state: list[int] | None = None

    def accept(self, b: bytes):
        """The verdict (closed, overflow, escape, body bytes, decoded bytes) of appending token
        bytes `b`, or None when the token is not allowed."""
        st = {"escape": self.escape}
        buf, dec = bytearray(), bytearray()
        res, ov = _scan(b, st, buf, self.nxt, decoded=dec if self.source else None)
        if res is False:
            return None
        if self.choices is not None:
            prefix = bytes(self.decoded + dec)
            if not any(c.startswith(prefix) for c in self.choices):
                return None
        elif self.source is not None and not self.source.ok(self.copy_state, bytes(dec)):
            return None
        elif self.rule is not None:
            text = _decode_value(bytes(self.content + buf))
            if not self.rule.prefix_ok(text):
                return None
        if res and not self._close_ok(bytes(buf), bytes(dec)):
            return None
        return (res, ov, st["escape"], bytes(buf), bytes(dec))

    def _close_ok(self, buf: bytes = b"", dec: bytes = b"") -> bool:
        text = _decode_value(bytes(self.content + buf))
        if not text.strip():
            return False  # an empty value is written null
        if self.choices is not None:
            return bytes(self.decoded + dec) in self.choices
        if self.rule is not None and not self.rule.complete_ok(text):
            return False
        if self.source is not None:
            return self.source.end_ok(self.source.advance(self.copy_state, dec))
        return True

    def can_close(self) -> bool:
        return not self.escape and self._close_ok()

    def take(self, verdict) -> bool | None:
        res, _ov, escape, buf, dec = verdict
        self.escape = escape
        self.content += buf
        if self.source is not None:
            self.decoded += dec
            if self.choices is None:
                self.copy_state = self.source.advance(self.copy_state, dec)
        return res

    def value(self) -> str:
        return _decode_value(bytes(self.content))


def decode_json_object(
    step: StepFn,
    tokenizer,
    prompt_ids: list[int],
    keys: Sequence[str],
    *,
    table: Sequence[bytes | None],
    stop_ids: set[int],
    max_value_tokens: int = 96,
    copy_from: str | None = None,
    rules: dict[str, ValueRule] | None = None,
    step_many: Callable | None = None,
    crop: Callable | None = None,
    draft_tokens: int = 8,
    past: tuple[object, int] | None = None,
    item_fields: Collection[str] = (),
    max_items: int = MAX_ITEMS,
    max_list_tokens: int = MAX_LIST_TOKENS,
    ordered: bool = True,
) -> ConstrainedResult:
    """Greedy decoding forced into `{"k1": <value>, "k2": <value>}` with exactly `keys` in order.

    With `copy_from` (the document text) every string value is a substring of that text (bytes
    compared; whitespace runs and full-/half-width forms tolerated, see `value_rules.copy_forms`)
    or null. `rules` gives shapes for some keys (dates, amounts). A value that reaches a dead end
    (nothing allowed can follow and it cannot close as it is) becomes null.

    `step_many(ids, cache) -> (logits per position, cache)` and `crop(cache, length) -> cache`
    enable drafting copied values from the document (up to `draft_tokens` per pass); the result is
    the same as without them.

    `past` (cache, its length) continues from a prompt prefix already in the cache: `prompt_ids`
    are then only the tokens after it (several fields decoded from one document pass).

    Keys in `item_fields` are line-item lists: `[{"description": <value>, ..., "tax": <value>}, ...]`
    with the keys ITEM_KEYS forced and every cell decoded like a value (copied from the document,
    or null; a cell has at most ITEM_CELL_TOKENS tokens). After each record the model chooses
    between another record and the end of the list; a record without a description, or one
    repeating the record before it, ends the list too. A list stops at `max_items` records or
    `max_list_tokens` tokens: the field is then in `items_cut` with the number of records read.
    In copy mode a record's unit price, amount and tax are amounts as the page prints them (the
    spans `AMOUNT` finds, money first, as for amount fields). With `ordered` (and `copy_from`) the
    records follow the page's layout: each description starts below the row where the one before
    starts and, from the second record on, above the first totals row below the first record
    (`items.totals_rows`: the table ends there); a record's amount, tax rate and tax start within
    ROW_REACH rows of its description and below the amount of the record before."""
    import torch

    t0 = time.perf_counter()
    sampler = _Sampler(table, stop_ids)
    source = CopySource(copy_from) if copy_from is not None else None
    if source is None or crop is None:
        step_many = None
    rules = rules or {}
    choices = {}
    if source is not None:  # each shape's spans found once, however many fields share it
        spans = {r: [c.encode("utf-8") for c in r.candidates(copy_from)] for r in set(rules.values())}
        choices = {k: spans[r] for k, r in rules.items()}
    # an item's money cells are amounts as the document prints them (one of its money spans)
    money_rule = ValueRule("amount", AMOUNT)
    money: list[bytes] = []
    totals: list[int] = []  # the rows that end an item table (a totals label and an amount)
    if source is not None and item_fields:
        money = spans.get(money_rule) or [c.encode("utf-8") for c in money_rule.candidates(copy_from)]
        totals = totals_rows(copy_from)
    segments = [
        ("{" if i == 0 else ", ") + json.dumps(k, ensure_ascii=False) + ":" for i, k in enumerate(keys)
    ]
    segments.append("}")
    stats = {"tokens": 0, "gen": 0, "passes": 0, "cache_len": 0, "drafted": 0}
    values: dict[str, str | list[dict[str, str | None]] | None] = {}
    truncated: list[str] = []
    refused: list[str] = []
    logprobs: dict[str, list[float]] = {}

    def encode(text: bytes) -> list[int]:
        return tokenizer.encode(text.decode("utf-8"), add_special_tokens=False) if text else []

    def feed(ids: list[int], cache):
        logits, cache = step(ids, cache)
        stats["passes"] += 1
        stats["tokens"] += len(ids)
        stats["cache_len"] += len(ids)
        return logits, cache

    def feed_many(ids: list[int], cache):
        rows, cache = step_many(ids, cache)
        stats["passes"] += 1
        stats["tokens"] += len(ids)
        stats["cache_len"] += len(ids)
        return rows, cache

    def logp(logits, tid: int) -> float:
        return float(torch.log_softmax(logits.float(), -1)[tid])

    past_cache, past_len = past if past is not None else (None, 0)
    logits, cache = step(list(prompt_ids), past_cache)
    stats["passes"] += 1
    stats["cache_len"] = past_len + len(prompt_ids)
    # forced bytes not yet fed to the model, and tokens already chosen but not yet fed: a chosen
    # token whose logits nothing needs (a null, a string's closing quote or last token, the way on
    # at a list's choice) waits for the forced text after it, and both go in one forward pass
    st = {"pending": segments[0].encode("utf-8"), "ids": []}
    items_cut: dict[str, int] = {}
    item_logprobs: dict[str, list[dict[str, list[float]]]] = {}

    def decode_value(
        label: str,
        nxt: bytes,
        rule,
        choice,
        lps: list[float],
        cap: int = max_value_tokens,
        beyond: Sequence[bytes] = (),
        src: CopySource | None = None,
    ) -> str | None:
        """One value (a string or null) after the pending forced bytes; `nxt` is the forced text
        that follows it. Leaves the bytes still to force in st["pending"]. `beyond`: the ways on
        after `nxt` (a record's end: another record or the list's end); the value's last token may
        run into them, as the tokenizer writes `"},` (the record ends and another follows) as one
        token, and the bytes it wrote past `nxt` are left in st["over"]. `src`: the copy source
        instead of the document's (a line-item cell's rows). The value's state is left in st["sv"]."""
        nonlocal logits, cache
        if st["pending"] or st["ids"]:
            logits, cache = feed(st["ids"] + encode(st["pending"]), cache)
            st["ids"] = []
        ways = tuple(nxt + o for o in beyond) if beyond else nxt
        sv = _StringValue(ways, src if src is not None else source, rule, choice)
        st["sv"] = sv

        def after(overflow: bytes) -> None:
            """The forced text left once the value's last token wrote `overflow` past it."""
            st["pending"] = nxt[len(overflow) :]
            if len(overflow) > len(nxt):
                st["over"] = overflow[len(nxt) :]

        # --- value start: optional single space, then '"' (string) or null
        space_used = False

        def accept_start(b: bytes, space_used=False, sv=sv, nxt=ways):
            v = _accept_start(b, nxt=nxt, space_used=space_used)
            if v is None or v[0] != "string":
                return v
            inner = sv.accept(v[1])
            return None if inner is None else ("string", inner)

        while True:
            tid, verdict = sampler.choose(logits, partial(accept_start, space_used=space_used))
            if verdict is _STOP or verdict is None:  # the model wants to stop: the field is absent
                if tid is not None:
                    lps.append(logp(logits, tid))
                verdict = ("stop",)
                break
            if verdict[0] != "space":
                break
            space_used = True
            lps.append(logp(logits, tid))
            logits, cache = feed([tid], cache)
            stats["gen"] += 1
        if verdict[0] == "null":
            lps.append(logp(logits, tid))
            st["ids"] = [tid]  # fed with the forced text that follows
            stats["gen"] += 1
            after(verdict[2])
            st["pending"] = verdict[1] + st["pending"]
            return None
        if verdict[0] == "stop":
            st["pending"] = (b"" if space_used else b" ") + _NULL + nxt
            return None
        # --- string value: bytes until an unescaped quote, within the copy source and the shape.
        # Loop invariant: `tid` was chosen with `verdict` and is not fed yet. In copy mode, when the
        # document says how the value goes on, the next few tokens are drafted from it and checked
        # in the same forward pass (prompt-lookup decoding): a draft token is kept only when it is
        # the token the model chooses there, so the answer is the same, in fewer passes.
        lps.append(logp(logits, tid))
        verdict = verdict[1]
        n_value = 0
        dead = closed = False
        overflow = b""
        while True:
            closed = sv.take(verdict)
            overflow = verdict[1]
            n_value += 1
            stats["gen"] += 1
            room = cap - n_value
            draft = (
                []
                if closed or step_many is None or room <= 0
                else _draft(sv, tokenizer, min(draft_tokens, room))
            )
            chosen = None
            if draft:
                base = stats["cache_len"]
                rows, cache = feed_many([tid, *draft], cache)
                for j, d in enumerate(draft):
                    t2, v2 = sampler.choose(rows[j], sv.accept, allow_stop=sv.can_close())
                    if t2 == d and v2 is not None and v2 is not _STOP:
                        lps.append(logp(rows[j], d))
                        sv.take(v2)
                        n_value += 1
                        stats["gen"] += 1
                        stats["drafted"] += 1
                        continue
                    cache = crop(cache, base + 1 + j)
                    stats["tokens"] -= len(draft) - j
                    stats["cache_len"] = base + 1 + j
                    chosen = (t2, v2, rows[j])
                    break
                else:
                    logits = rows[len(draft)]
            elif closed or n_value >= cap:
                st["ids"] = [tid]  # nothing needs its logits: fed with the forced text that follows
            else:
                logits, cache = feed([tid], cache)
            if closed:
                break
            if n_value >= cap:
                truncated.append(label)
                if sv.escape:
                    sv.content += b"\\"
                st["pending"] = b'"' + nxt
                break
            if chosen is not None:
                tid, verdict, row = chosen
            else:
                tid, verdict = sampler.choose(logits, sv.accept, allow_stop=sv.can_close())
                row = logits
            if verdict is _STOP or verdict is None:  # close the string (the model's stop, or a dead end)
                if tid is not None:
                    lps.append(logp(row, tid))
                if verdict is None and not sv.can_close():
                    dead = True
                if sv.escape:
                    sv.content += b"\\"
                st["pending"] = b'"' + nxt
                break
            lps.append(logp(row, tid))
        if closed:
            after(overflow)
        if dead:
            refused.append(label)
            return None
        return sv.value()

    def branch(options: list[bytes], lps: list[float]) -> int:
        """Which way on the model takes at a choice of forced texts (`options`, each after the
        pending forced bytes), judged on the tokens the tokenizer writes for each whole text, as in
        training: a record's closing '}' is the token '},' when another record follows and '}' then
        ']}' when the list ends, so a '}' fed alone would tell the model the list is over. Feeds the
        tokens the options share, chooses by the first one that sets them apart, and leaves the
        chosen option's tokens to be fed with what follows."""
        nonlocal logits, cache
        full = [st["pending"] + o for o in options]
        encs = [encode(f) for f in full]
        k = 0
        while all(len(e) > k + 1 for e in encs) and len({e[k] for e in encs}) == 1:
            k += 1
        if k or st["ids"]:
            logits, cache = feed(st["ids"] + encs[0][:k], cache)
        firsts = [e[k] for e in encs]
        which = max(range(len(options)), key=lambda i: float(logits[firsts[i]]))
        tid = firsts[which]
        lps.append(logp(logits, tid))
        st["ids"], st["pending"] = encs[which][k:], b""  # fed with the forced text that follows
        stats["gen"] += 1
        return which

    def decode_items(key: str, nxt: bytes, lps: list[float]) -> list[dict[str, str | None]]:
        """A line-items list: records with the keys ITEM_KEYS, until the model closes the list."""
        nonlocal logits, cache
        first_key = json.dumps(ITEM_KEYS[0]).encode("utf-8") + b":"
        cell_segments = [b", " + json.dumps(c).encode("utf-8") + b":" for c in ITEM_KEYS[1:]] + [b"}"]
        st["pending"] += b" ["
        records: list[dict[str, str | None]] = []
        per_record: list[dict[str, list[float]]] = item_logprobs.setdefault(key, [])
        start_tokens = stats["tokens"]

        go_on, end = b", {" + first_key, b"]" + nxt  # the ways on after a record
        # Items are printed in reading order: a record's description starts below the row where the
        # one before starts and (after the first record) above the totals that end the table; its
        # amounts (ROW_CELLS) near its description, below those of the record before. Rows the
        # source cannot place are never restricted.
        last_row, last_amount_row, table_end = -1, -1, None

        def end_list() -> None:  # force the list's end (after what the last token wrote of it)
            over = st.pop("over", b"")
            st["pending"] += end[len(over) :] if end.startswith(over) else end

        while True:
            if len(records) >= max_items or stats["tokens"] - start_tokens >= max_list_tokens:
                items_cut[key] = len(records)
                end_list()
                break
            ways = [go_on if records else b"{" + first_key, end]
            over = st.pop("over", b"")
            if over:  # the last cell's closing token chose already ('"},' goes on, '"}]' ends)
                which = next(i for i, w in enumerate(ways) if w.startswith(over))
                st["pending"] += ways[which][len(over) :]
            else:
                which = branch(ways, lps)
            if which == 1:
                break
            record: dict[str, str | None] = {}
            cell_lps: dict[str, list[float]] = {}
            desc_row = desc_end = None
            amounts_below = last_amount_row + 1  # this record's amounts: below the record before's
            for cell, seg in zip(ITEM_KEYS, cell_segments, strict=True):
                cell_lps[cell] = []
                src = rule = choice = None
                if source is not None and ordered:
                    if cell == ITEM_KEYS[0]:
                        last = None if table_end is None else table_end - 1
                        src = source.between_rows(last_row + 1, last)
                    elif cell in ROW_CELLS and desc_row is not None:
                        first = max(desc_row - ROW_REACH, amounts_below)
                        src = source.between_rows(first, max(first, desc_end) + ROW_REACH)
                if source is not None and cell in MONEY_CELLS:
                    # every money span is in the source; a row-bound one keeps those on its rows
                    rule = money_rule
                    choice = money if src is None else [c for c in money if src.advance(None, c)]
                record[cell] = decode_value(
                    f"{key}[{len(records)}].{cell}",
                    seg,
                    rule,
                    choice,
                    cell_lps[cell],
                    min(max_value_tokens, ITEM_CELL_TOKENS[cell]),
                    beyond=(go_on, end) if cell == ITEM_KEYS[-1] else (),
                    src=src,
                )
                lps.extend(cell_lps[cell])
                if cell == ITEM_KEYS[0] and record[cell] is not None and source is not None:
                    sv = st["sv"]
                    desc_row = sv.source.start_row(sv.copy_state, len(sv.decoded))
                    desc_end = sv.source.end_row(sv.copy_state)
                    if desc_row is not None:
                        last_row = desc_row
                        desc_end = desc_row if desc_end is None else max(desc_end, desc_row)
                        if table_end is None and not records and ordered:
                            table_end = next((t for t in totals if t > desc_row), None)
                if cell == "amount" and record[cell] is not None and src is not None:
                    span = st["sv"].decoded
                    row = src.start_row(src.advance(None, bytes(span)), len(span))
                    if row is not None:
                        last_amount_row = row
                if cell == ITEM_KEYS[0] and record[cell] is None:
                    # a row without a description is no item row: the list ends here, the record's
                    # other cells written null (forced) so the text stays valid JSON
                    st["pending"] += b"".join(b" null" + sg for sg in cell_segments[1:])
                    record.update(dict.fromkeys(ITEM_KEYS[1:]))
                    break
            if record[ITEM_KEYS[0]] is None or (records and record == records[-1]):
                # no description on the row, or the row before again: the items are done (a model
                # that would go on has nothing new to copy)
                end_list()
                break
            records.append(record)
            per_record.append(cell_lps)
        return records

    for i, key in enumerate(keys):
        nxt = segments[i + 1].encode("utf-8")
        lps = logprobs.setdefault(key, [])
        if key in item_fields:
            values[key] = decode_items(key, nxt, lps)
        else:
            values[key] = decode_value(key, nxt, rules.get(key), choices.get(key), lps)
    pending = st["pending"]
    # the final '}' needs no forward pass: nothing follows it
    stats["tokens"] += len(st["ids"]) + len(encode(pending))
    text = json.dumps(values, ensure_ascii=False)
    return ConstrainedResult(
        values=values,
        text=text,
        tokens=stats["tokens"],
        generated_tokens=stats["gen"],
        forward_passes=stats["passes"],
        seconds=time.perf_counter() - t0,
        truncated=truncated,
        logprobs=logprobs,
        refused=refused,
        drafted_tokens=stats["drafted"],
        items_cut=items_cut,
        item_logprobs=item_logprobs,
    )


def _accept_start(b: bytes, *, nxt: bytes | tuple[bytes, ...], space_used: bool):
    """At a value's start: one optional space, then '"' (a string) or null. A null's verdict
    carries the rest of "null" still to force, or the bytes of the token past it."""
    s = b[1:] if b[:1] == b" " and not space_used else b
    if not s:
        return ("space",) if b == b" " else None
    if s[:1] == b'"':
        ok, _ = _scan(s[1:], {"escape": False}, bytearray(), nxt)
        return None if ok is False else ("string", s[1:])
    if _NULL.startswith(s):
        return ("null", _NULL[len(s) :], b"")
    if s.startswith(_NULL) and _goes_on(nxt, s[4:]):
        return ("null", b"", s[4:])
    return None


def _goes_on(nxt: bytes | tuple[bytes, ...], overflow: bytes) -> bool:
    """Do the bytes a value's last token writes past the value begin the forced text after it
    (one of the texts, when there are several ways on)?"""
    return any(n.startswith(overflow) for n in ((nxt,) if isinstance(nxt, bytes) else nxt))


def _draft(sv: _StringValue, tokenizer, k: int) -> list[int]:
    """Up to `k` tokens of how the document goes on after the value copied so far, as far as
    every occurrence agrees (the tokens the model is likely to write next). A value of a shape
    (dates, amounts: one of `sv.choices`) goes on as the spans that start with it agree."""
    if sv.source is None or sv.escape:
        return []
    if sv.choices is not None:
        prefix = bytes(sv.decoded)
        cont = os.path.commonprefix([c[len(prefix) :] for c in sv.choices if c.startswith(prefix)])
    else:
        if not sv.copy_state or len(sv.copy_state) > 16:
            return []
        data = sv.source.data
        cont = os.path.commonprefix([data[p : p + 64] for p in sv.copy_state])
    for stop in (b"\x00", b'"', b"\\", b"\n"):  # a draft never ends or escapes the string
        i = cont.find(stop)
        if i >= 0:
            cont = cont[:i]
    try:
        bytes(sv.decoded).decode("utf-8")  # the value so far ends on a whole character
    except UnicodeDecodeError:
        return []
    text = cont.decode("utf-8", errors="ignore")
    if not text:
        return []
    # the last token of a cut-off text is seldom the one the model uses in context: drop it
    return tokenizer.encode(text, add_special_tokens=False)[:-1][:k]


_UNESCAPE = {0x22: b'"', 0x5C: b"\\", 0x2F: b"/"}


def _scan(
    b: bytes,
    state: dict,
    content: bytearray,
    nxt: bytes | tuple[bytes, ...],
    decoded: bytearray | None = None,
):
    """Feed token bytes `b` into a JSON string body. Returns (closed?, overflow) where closed is
    None (still open), True (closed by an unescaped quote; overflow = bytes after it, which must
    start the next forced segment, or one of them when `nxt` is several) or False (the token breaks
    the grammar). With `decoded` (copy mode) the value's own bytes are appended there, and only the
    escapes a copied value can need (quote, backslash, slash) are allowed."""
    for j, c in enumerate(b):
        if state["escape"]:
            if c not in _ESCAPABLE:
                return False, b""
            if decoded is not None:
                if c not in _UNESCAPE:
                    return False, b""
                decoded += _UNESCAPE[c]
            content.append(_BACKSLASH)
            content.append(c)
            state["escape"] = False
        elif c == _BACKSLASH:
            state["escape"] = True
        elif c == _QUOTE:
            ov = b[j + 1 :]
            if not _goes_on(nxt, ov):
                return False, b""
            return True, ov
        elif c < _SPACE:
            return False, b""
        else:
            content.append(c)
            if decoded is not None:
                decoded.append(c)
    return None, b""
