from .base import (
    OcrEngine,
    OcrEngineError,
    UnknownEngineError,
    available_engines,
    get_engine,
    register_engine,
)


def _rapid(**kw):
    from .rapid import RapidEngine

    return RapidEngine(**kw)


def _paddle(**kw):
    from .paddle import PaddleEngine

    return PaddleEngine(**kw)


register_engine("rapid", _rapid)
register_engine("paddle", _paddle)

__all__ = [
    "OcrEngine",
    "OcrEngineError",
    "UnknownEngineError",
    "available_engines",
    "get_engine",
    "register_engine",
]
