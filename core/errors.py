"""The error every service raises when a rule is broken."""


class DomainError(ValueError):
    """A rule was broken; the message says which, in words a user can act on."""
