"""Reproductions of published analyses (the application layer).

Each module here writes files, draws figures and prints prose for one ``nnqft reproduce NAME``
command, using the pure physics packages (the core, ``eft``, ``frg``, ``bridge``, the 1/N theory
and the exact action). Nothing in the physics packages imports from here.
"""


def stage_log(message: str, progress: bool) -> None:
    """One ``nnqft: ...`` progress line on stderr when ``progress`` is on (stdout stays clean)."""
    if progress:
        from ..progress import log

        log(message)
