"""A console form with a file in it (``multipart/form-data``): read with python-multipart.

Only a page registered with ``console_page(..., files=True)`` takes one (today the units
import), and this module, with the parser, is imported only when such a form arrives: every
other page, and the cold start, never load it. The body is capped by the page's ``max_body``
before it is read, so files are held in memory, never written to disk.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...domain.errors import MalformedRequest


@dataclass(frozen=True)
class Upload:
    """One file of the form: its name as the person's computer called it, and its bytes."""
    filename: str
    data: bytes

    def __bool__(self) -> bool:  # a file input left empty still sends a part, nameless and empty
        return bool(self.filename or self.data)


def parse_multipart(content_type: str, body: bytes) -> dict[str, Any]:
    """{name: text} for fields (repeated names → list), {name: Upload} for files."""
    from python_multipart.multipart import create_form_parser
    fields: dict[str, list[Any]] = {}

    def text(raw: bytes | None) -> str:
        try:
            return (raw or b"").decode("utf-8")
        except UnicodeDecodeError:
            raise MalformedRequest("The form is not UTF-8.", {"body": "must be UTF-8"}) from None

    def on_field(part: Any) -> None:
        fields.setdefault(text(part.field_name), []).append(text(part.value))

    def on_file(part: Any) -> None:
        part.file_object.seek(0)
        fields.setdefault(text(part.field_name), []).append(Upload(text(part.file_name), part.file_object.read()))

    try:
        parser = create_form_parser({"Content-Type": content_type.encode("latin-1", "replace")}, on_field, on_file,
                                    config={"MAX_MEMORY_FILE_SIZE": len(body) + 1, "MAX_BODY_SIZE": len(body) + 1})
        parser.write(body)
        parser.finalize()
    except MalformedRequest:
        raise
    except Exception:  # python-multipart's FormParserError, a missing boundary, ...
        raise MalformedRequest("The form could not be read.", {"body": "must be multipart/form-data"}) from None
    return {k: v[0] if len(v) == 1 else v for k, v in fields.items()}
