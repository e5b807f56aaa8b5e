"""Folders of documents (and Parquet outputs) on any filesystem pyarrow or fsspec understands:
a local path, file://, s3://, gs://, hdfs://, abfs://, and every other fsspec protocol."""

from __future__ import annotations

from pathlib import Path, PurePosixPath


def is_uri(location: str) -> bool:
    """A URI (scheme://…, file:// included: read through pyarrow like s3://); a local path otherwise."""
    scheme, sep, _ = str(location).partition("://")
    return bool(sep) and len(scheme) > 1 and scheme.replace("+", "").isalnum()


def resolve(location: str):
    """(pyarrow FileSystem, path inside it) for a local path or a URI. pyarrow's own filesystems
    first (local, S3, GCS, HDFS); any other scheme through fsspec, wrapped for pyarrow."""
    import pyarrow.fs as pafs

    location = str(location)
    if not is_uri(location):
        return pafs.LocalFileSystem(), str(Path(location).expanduser().resolve())
    try:
        return pafs.FileSystem.from_uri(location)
    except Exception:  # pyarrow knows only a few schemes; fsspec knows the rest
        import fsspec

        fs, path = fsspec.core.url_to_fs(location)
        return pafs.PyFileSystem(pafs.FSSpecHandler(fs)), path


def list_documents_at(location: str) -> list[tuple[str, str]]:
    """(name, path inside the filesystem) of every image and PDF under `location`, recursively;
    `name` is the path relative to `location` with '/' separators (the record's `document`), in the
    order of the local `list_documents` (path components compared in turn)."""
    import pyarrow.fs as pafs

    from ocr_stage import DOCUMENT_SUFFIXES

    fs, root = resolve(location)
    info = fs.get_file_info(root)
    if info.type != pafs.FileType.Directory:
        raise FileNotFoundError(f"{location}: no such folder")
    root = root.rstrip("/")
    out = []
    for f in fs.get_file_info(pafs.FileSelector(root, recursive=True)):
        if f.is_file and PurePosixPath(f.path).suffix.lower() in DOCUMENT_SUFFIXES:
            out.append((f.path[len(root) :].lstrip("/"), f.path))
    return sorted(out, key=lambda nf: tuple(nf[0].split("/")))


def read_bytes(fs, path: str, max_bytes: int, name: str) -> bytes:
    """The bytes of `path` on the pyarrow filesystem `fs`, refused (InputTooLarge) before reading
    when the file is over `max_bytes`, with the local reader's message."""
    from ocr_stage import InputError, InputTooLarge

    info = fs.get_file_info(path)
    if not info.is_file:
        raise InputError(f"{name}: no such file")
    if info.size is not None and info.size > max_bytes:
        raise InputTooLarge(f"{name}: file is {info.size:,} bytes, over the limit of {max_bytes:,}")
    with fs.open_input_stream(path) as fh:
        return fh.readall()
