"""Reading an uploaded chat export, for the sharing pages and the API alike."""

from werkzeug.datastructures import FileStorage

from arena.core.errors import InvalidInput

MAX_UPLOAD_BYTES = 8 * 1024 * 1024


def upload_bytes(upload: FileStorage | None) -> bytes:
    """The file's bytes; a missing file or one over MAX_UPLOAD_BYTES is refused."""
    if upload is None or not upload.filename:
        raise InvalidInput("Choose a chat export file (.json or .jsonl) to upload.")
    raw = upload.read(MAX_UPLOAD_BYTES + 1)
    if len(raw) > MAX_UPLOAD_BYTES:
        raise InvalidInput(f"The file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB.")
    return raw
