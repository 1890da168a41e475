"""One error hierarchy for the core.

    CaseroomError
     ├── Refused          the client's fault: a command that may not happen now.
     │    │               Carries a snake_case ``code`` that goes on the wire in an
     │    │               ``error`` frame; the state is untouched.
     │    └── NotFound    the thing named does not exist (unknown session, activity, player)
     └── DeckInvalid      a deck file that does not validate; carries every problem found

The kinds raise ``Refused`` and ``DeckInvalid`` too, so those are defined in
``games/errors.py`` (games/ never imports sessions/) and handed on from here:
the core and the server import every error from this one module.

Anything else raised inside the core is *our* fault: the driver logs it and
closes the socket with 1011, it never reaches a client as a message.
"""

from __future__ import annotations

from games.errors import CaseroomError, DeckInvalid, DeckProblem, Refused

__all__ = ["CaseroomError", "DeckInvalid", "DeckProblem", "NotFound", "Refused"]


class NotFound(Refused):
    """The session, activity, player or group named does not exist."""
