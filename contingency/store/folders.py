"""Folders written whole or not at all, never at the cost of a file this toolkit did not write.

A folder is written into a new hidden folder beside its destination and renamed into place when
complete. An existing destination is replaced only when every file in it is one this toolkit
writes: it is renamed aside, the new folder renamed in, and then only those files are removed
from the copy aside. Nothing is deleted before the new folder is complete.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import shutil
from collections.abc import Callable, Collection
from pathlib import Path

TMP_PREFIX = ".tmp-"
"""Prefix of a folder being written; one left by a killed writer may be cleaned."""
OLD_PREFIX = ".old-"
"""Prefix of a replaced folder on its way out."""


def new_folder(parent: Path, prefix: str) -> Path:
    """A new, uniquely named, empty folder in ``parent``.

    Made with :func:`os.mkdir`, so its mode is 0o777 less the umask like any folder a user
    makes (:func:`tempfile.mkdtemp` makes 0o700, which hides runs in a shared store).
    """
    for _ in range(100):
        path = parent / f"{prefix}{secrets.token_hex(4)}"
        try:
            path.mkdir()
        except FileExistsError:
            continue
        return path
    raise FileExistsError(errno.EEXIST, "no free temporary folder name", str(parent / prefix))


def foreign_file(folder: Path, owned: Callable[[str], bool]) -> str | None:
    """The first file or folder in ``folder`` (as a relative POSIX path) that ``owned`` does not
    claim, or None when the toolkit wrote everything in it. Symbolic links are foreign."""
    for dirpath, dirnames, filenames in os.walk(folder):
        here = Path(dirpath)
        for name in sorted(dirnames + filenames):
            path = here / name
            rel = path.relative_to(folder).as_posix()
            if path.is_symlink() or not owned(rel):
                return rel
    return None


def check_replaceable(
    dest: Path, *, owned: Callable[[str], bool] | None, required: Collection[str] = ()
) -> None:
    """Raise an :class:`OSError` naming ``dest`` unless writing a folder there is safe: it does
    not exist, is an empty folder, or (with ``owned``) holds every file in ``required`` and no
    file that ``owned`` does not claim."""
    if not dest.exists() and not dest.is_symlink():
        above = next((p for p in dest.parents if p.exists()), None)
        if above is not None and not above.is_dir():
            raise NotADirectoryError(errno.ENOTDIR, "is a file, not a folder", str(above))
        return
    if dest.is_symlink() or not dest.is_dir():
        raise NotADirectoryError(
            errno.ENOTDIR, "exists and is not a folder; refusing to replace it", str(dest)
        )
    if not any(dest.iterdir()):
        return
    if owned is None:
        raise FileExistsError(errno.EEXIST, "already exists; refusing to replace it", str(dest))
    missing = [r for r in required if not (dest / r).is_file()]
    foreign = foreign_file(dest, owned)
    if missing or foreign:
        why = f"holds {foreign!r}" if foreign else f"has no {missing[0]}"
        raise FileExistsError(
            errno.ENOTEMPTY,
            f"not an earlier run folder ({why}); refusing to replace it: "
            "give a new or empty folder",
            str(dest),
        )


def write_folder(
    dest: Path,
    write: Callable[[Path], None],
    *,
    owned: Callable[[str], bool] | None = None,
    required: Collection[str] = (),
) -> Path:
    """Create ``dest`` whole: ``write(folder)`` fills a new folder beside it, which is then
    renamed to ``dest``.

    An existing ``dest`` is replaced only when :func:`check_replaceable` allows it (without
    ``owned`` only an empty folder is). If anything fails, ``dest`` is as it was.

    Raises
    ------
    OSError
        ``dest`` may not be replaced, or writing failed.
    """
    check_replaceable(dest, owned=owned, required=required)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = new_folder(dest.parent, f"{TMP_PREFIX}{dest.name}-")
    try:
        write(tmp)
        check_replaceable(dest, owned=owned, required=required)  # changed while writing?
        if dest.is_dir():
            aside = new_folder(dest.parent, f"{OLD_PREFIX}{dest.name}-")
            try:
                os.rename(dest, aside)  # replaces the empty placeholder folder
            except BaseException:
                aside.rmdir()
                raise
            try:
                os.rename(tmp, dest)
            except BaseException:
                os.rename(aside, dest)
                raise
            _remove_owned(aside, owned or (lambda rel: False))
        else:
            os.rename(tmp, dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)  # we made it and wrote everything in it
        raise
    return dest


def _remove_owned(folder: Path, owned: Callable[[str], bool]) -> None:
    """Remove what ``owned`` claims, files first and then folders left empty, and ``folder``
    itself; anything else (a file that appeared after the check) stays where it is."""
    for dirpath, _dirnames, filenames in os.walk(folder, topdown=False):
        here = Path(dirpath)
        for name in filenames:
            path = here / name
            if not path.is_symlink() and owned(path.relative_to(folder).as_posix()):
                with contextlib.suppress(OSError):  # left aside, never lost
                    path.unlink()
        if here == folder or owned(here.relative_to(folder).as_posix()):
            with contextlib.suppress(OSError):  # not empty: something foreign stays
                here.rmdir()
