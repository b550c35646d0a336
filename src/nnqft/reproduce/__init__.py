"""Reproductions of published analyses (the application layer).

Each module here writes files, draws figures and prints prose for one ``nnqft reproduce NAME``
command, using the pure physics packages (the core, ``eft``, ``frg``, ``bridge``, the 1/N theory
and the exact action). Nothing in the physics packages imports from here.
"""
