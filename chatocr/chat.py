"""Turning a chat message into a FieldQuery, in Chinese or English.

"提取发票号码、开票日期和价税合计" / "extract invoice number, date and total" -> a field list;
"what is the total?" / "总金额是多少？" -> a question (answered as the field `answer`).
"""

from __future__ import annotations

import re

from llm_stage import FieldQuery, QueryError

_ZH_VERBS = r"(?:请|帮我|麻烦|帮忙|你)*(?:提取|抽取|识别|获取|找出|列出|给出|读取|查找|输出)(?:一下|出)?(?:以下字段|下列字段|字段)?[:：]?"
_EN_VERBS = (
    r"(?:please\s+)?(?:extract|get|find|pull(?:\s+out)?|list|give\s+me|show(?:\s+me)?|read|return)"
    r"(?:\s+the\s+following\s+fields|\s+fields|\s+the)?\s*:?\s*"
)
_LEAD = re.compile(rf"^\s*(?:{_ZH_VERBS}|{_EN_VERBS})\s*", re.IGNORECASE)
_TAIL = re.compile(
    r"[\s。.!！?？]*(?:(?:from|of|in)\s+(?:this|the)\s+(?:document|invoice|receipt|image|file))?[\s。.!！?？]*$",
    re.I,
)
_QUESTION_WORDS = re.compile(
    r"^\s*(?:what|when|who|whom|whose|which|where|why|how|is|are|was|were|does|do|did|can|could)\b"
    r"|多少|什么|哪|几|谁|吗|呢|是否|有没有",
    re.IGNORECASE,
)
_SEP = re.compile(r"\s*(?:[,，、;；/\n]|\band\b|&|以及|及|和|与)\s*", re.IGNORECASE)
_ZH_OF = re.compile(r"^(?:这张|该|本)?(?:发票|单据|收据|文档|小票)?的")


def parse_chat(message: str) -> FieldQuery:
    """A FieldQuery from one chat message: a list of fields after an optional verb, else a question."""
    text = (message or "").strip()
    if not text:
        raise QueryError("the message is empty: name the fields to extract, or ask a question")
    stripped = _LEAD.sub("", text, count=1)
    had_verb = stripped != text
    is_question = text.endswith(("?", "？")) or bool(_QUESTION_WORDS.search(text))
    if is_question and not had_verb:
        return FieldQuery(question=text)
    body = _TAIL.sub("", stripped)
    names = [_ZH_OF.sub("", n).strip(" \"'“”‘’:：") for n in _SEP.split(body)]
    names = [re.sub(r"^(?:the|its)\s+", "", n, flags=re.IGNORECASE) for n in names if n]
    if not names:
        return FieldQuery(question=text)
    if not had_verb and (len(names) == 1 and len(names[0]) > 40):
        return FieldQuery(question=text)  # a long sentence with no list in it reads as a question
    return FieldQuery(fields=names)
