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
    spec: TypeSpec
    generate: Callable[[random.Random, Fakers], Doc]
    render: Callable[[Doc, random.Random], Image.Image]
    thermal: bool = False  # thermal paper: fades

    @property
    def name(self) -> str:
        return self.spec.name


REGISTRY: dict[str, DocType] = {}


def register(spec: TypeSpec, generate, render, thermal: bool = False) -> None:
    missing = {f.key for f in spec.fields}
    if len(missing) != len(spec.fields):
        raise ValueError(f"duplicate field keys in {spec.name}")
    REGISTRY[spec.name] = DocType(spec, generate, render, thermal)


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
