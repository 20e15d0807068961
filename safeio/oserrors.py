"""Why the operating system refused to read or write a file, in Chinese: Python's `strerror` is the C library's
English ("No such file or directory"), which the people running studybot should not have to read."""

from __future__ import annotations

import errno
import os

__all__ = ["os_reason"]

_REASONS = {
    errno.EISDIR: "这是一个目录，不是文件",
    errno.ENOTDIR: "路径中有一级不是目录",
    errno.EACCES: "没有权限",
    errno.EPERM: "没有权限",
    errno.ENOSPC: "磁盘空间已满",
    errno.EDQUOT: "磁盘配额已用完",
    errno.EROFS: "文件系统是只读的",
    errno.ENAMETOOLONG: "文件名太长",
    errno.EEXIST: "已有同名的文件",
    errno.EADDRINUSE: "端口已被占用",
    errno.EADDRNOTAVAIL: "本机没有这个地址",
    errno.ELOOP: "符号链接循环",
    errno.EBUSY: "文件正被占用",
    errno.EMFILE: "打开的文件太多",
    errno.EIO: "磁盘读写出错",
}


def os_reason(exc: OSError, *, writing: bool = False) -> str:
    """The reason for `exc` in Chinese, without the file or what was being done (the caller says both, as
    「无法写入 FILE：…」). A missing path is the file when reading and its folder when writing (named, since that is
    what to create); an errno without a Chinese wording keeps the system's own text rather than hiding it."""
    if exc.errno == errno.ENOENT:
        if not writing:
            return "文件不存在"
        folder = os.path.dirname(os.fspath(exc.filename)) if isinstance(exc.filename, (str, os.PathLike)) else ""
        return f"目录 {folder} 不存在" if folder else "所在的目录不存在"
    return _REASONS.get(exc.errno or 0) or exc.strerror or str(exc) or type(exc).__name__
