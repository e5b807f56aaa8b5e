"""The document-type registry: each type generates consistent values and renders them."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

from PIL import Image

from ..fields import TypeSpec


@dataclass
class Doc:
    """One synthetic document: ground truth as printed (key -> str | list of item objects)."""

    doc_type: str
    fields: dict[str, object]
    layout: str = "default"
    data: dict = field(default_factory=dict)  # render-only values


@dataclass
class DocType:
    """A registered type: `generate` draws a Doc's values, `render` prints them (layouts that have a
    place for a prompt injection print `doc.data["injection"]` and set `doc.data["injection_drawn"]`)."""

    spec: TypeSpec
    generate: Callable[[random.Random, Fakers], Doc]
    render: Callable[[Doc, random.Random], Image.Image]
    thermal: bool = False  # thermal paper: fades
    photo: bool = False  # usually photographed (on a desk, in perspective) rather than scanned

    @property
    def name(self) -> str:
        return self.spec.name


REGISTRY: dict[str, DocType] = {}


def register(spec: TypeSpec, generate, render, thermal: bool = False, photo: bool = False) -> None:
    """Register a type: its values (`generate`) and its page (`render`). The steps every type shares
    (a printed prompt injection, the photo mark) are applied by `generate_data.build`."""
    if len({f.key for f in spec.fields}) != len(spec.fields):
        raise ValueError(f"duplicate field keys in {spec.name}")
    REGISTRY[spec.name] = DocType(spec, generate, render, thermal, photo)


@lru_cache(maxsize=1)
def _faker_pool():
    from faker import Faker

    return {loc: Faker(loc) for loc in ("zh_CN", "en_US", "en_MS")}


class Fakers:
    """Faker instances for the three locales, reseeded per document so output is reproducible."""

    def __init__(self, rng: random.Random):
        pool = _faker_pool()
        for f in pool.values():
            f.seed_instance(rng.getrandbits(48))
        self.zh = pool["zh_CN"]
        self.en = pool["en_US"]
        self.my = pool["en_MS"]  # Faker 40 names the Malaysian locale en_MS (no ms_MY)
