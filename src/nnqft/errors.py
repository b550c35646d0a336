"""Exception types shared by all nnqft packages.

Two kinds of failure are kept apart because a user reacts to them differently:

- bad input (an impossible parameter, a malformed option) raises ``ValueError`` (or the CLI's
  ``InputError``, a subclass): the command line reports it with exit status 2;
- numerical failure on valid input (Newton does not converge, no fixed point is found where one
  was looked for, an integration blows up or overflows) raises ``NumericalError``: the command
  line reports it with exit status 1, and its message says what failed and what to try.

``NumericalError`` derives from ``RuntimeError``, never from ``ValueError``, so that code which
catches bad input does not swallow a numerical failure by accident.
"""

from __future__ import annotations

__all__ = ["NumericalError"]


class NumericalError(RuntimeError):
    """A numerical method failed on valid input (non-convergence, no solution found, overflow).

    Parameters
    ----------
    message : what failed (one line).
    hint : what to try instead (one line, in the vocabulary of the command line where that
        applies, e.g. "use --order 12 or --method shooting"); appended to the message.
    """

    def __init__(self, message: str, hint: str | None = None):
        self.message = message
        self.hint = hint
        super().__init__(f"{message}; {hint}" if hint else message)
