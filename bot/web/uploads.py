"""A file uploaded through a dashboard form (multipart, python-multipart via Starlette's request.form()): refused
before it is read when it is larger than MAX_UPLOAD_BYTES, its CSRF token checked, and written to a temporary folder
under a cleaned version of its own name, so the importers (which read a path and name the file in their problems)
read it exactly as `studybot bank import` / `studybot members import` would read the file on disk."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from starlette.datastructures import UploadFile
from starlette.requests import Request

from bot.web.dashboard import Dashboard, Refused
from safeio.names import clean_name, file_stem

__all__ = ["Upload", "read_upload", "saved", "MAX_UPLOAD_BYTES", "TOO_LARGE"]

MAX_UPLOAD_BYTES = 5 << 20
_FORM_SLACK = 64 << 10  # the form's other fields and the multipart boundaries
TOO_LARGE = f"文件太大：网页上传最大 {MAX_UPLOAD_BYTES >> 20} MB。更大的文件请由管理员在服务器上用命令导入。"
STALE = "请求无效（页面已过期）：请刷新页面后再试。"


@dataclass(frozen=True)
class Upload:
    filename: str  # cleaned: a plain file name, no folders
    content: bytes
    fields: dict[str, str]  # the form's other fields


async def read_upload(dash: Dashboard, request: Request, field: str = "file") -> Upload:
    """The uploaded file and the form's text fields; Refused(413) when too large, Refused(403) without a valid CSRF
    token, Refused(400) without a file. Call after dash.viewer(request) (the CSRF token is the session's)."""
    length = request.headers.get("content-length", "")
    if not length.isdigit():
        raise Refused(411, "上传请求缺少长度信息：请用页面上的表单上传。", "无法上传")
    if int(length) > MAX_UPLOAD_BYTES + _FORM_SLACK:
        raise Refused(413, TOO_LARGE, "无法上传")
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise Refused(400, "请用页面上的表单选择文件上传。", "无法上传")
    async with request.form(max_files=1, max_fields=10) as form:
        session = getattr(request.state, "session", None)
        token = form.get("csrf")
        if session is None or not dash.sessions.csrf_ok(session, token if isinstance(token, str) else None):
            raise Refused(403, STALE)
        upload = form.get(field)
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise Refused(400, "请先选择要上传的文件。", "无法上传")
        content = await upload.read(MAX_UPLOAD_BYTES + 1)
        if len(content) > MAX_UPLOAD_BYTES:
            raise Refused(413, TOO_LARGE, "无法上传")
        fields = {key: value for key, value in form.items() if isinstance(value, str)}
        return Upload(_plain_filename(upload.filename), content, fields)


def _plain_filename(name: str) -> str:
    """「C:\\Users\\x\\题库.xlsx」 → 「题库.xlsx」: the last part only, cleaned as a name; the suffix kept as typed."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    cleaned = file_stem(clean_name(stem, "上传的文件"))
    suffix = "".join(ch for ch in suffix if ch.isalnum())[:10]
    return f"{cleaned}.{suffix}" if suffix else cleaned


@contextmanager
def saved(upload: Upload) -> Iterator[Path]:
    """The upload as a file of its own name in a temporary folder, deleted afterwards."""
    with tempfile.TemporaryDirectory(prefix="studybot-upload-") as folder:
        path = Path(folder) / upload.filename
        path.write_bytes(upload.content)
        yield path
