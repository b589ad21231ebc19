"""The version token a change (or revert) form carries in a hidden field.

It says which version of which object the form was loaded from, when, and every value it
showed (its *base*), signed with the site's key (``django.core.signing``, which compares
signatures in constant time). The token names its object: the model ("catalog.product"),
the object's pk, and the form ("change" or "revert": a revert's base has no variant rows,
so a revert token on the change form would read every variant as untouched). A token is
only trusted on the form it names; any other (missing, empty, malformed, tampered, another
object's, another model's, another form's) reads as *base unknown*: the check then
compares the POST with what is stored now, and nothing differing is saved unseen
(``catalog.admin.concurrency``). A foreign token is never read further than its name:
another object's values in it are not shown to anyone.
"""

import logging
from dataclasses import dataclass, field
from datetime import datetime

from django.core import signing

from catalog.concurrency import EditState

logger = logging.getLogger(__name__)

#: The hidden field's name, and the prefix of the per-field choices of a conflict form.
TOKEN_FIELD = "_occ"
CHOICE_PREFIX = "_occ_choice:"
#: A new salt for the bound token: an unbound token from before (no model, no pk) is
#: refused as tampered instead of being read with a default binding.
_SALT = "catalog.admin.concurrency.bound"


@dataclass(frozen=True)
class Binding:
    """What a token is for: ``model`` is the label ("catalog.product"), ``pk`` as text."""

    model: str
    pk: str
    form: str  # "change" or "revert"

    def as_json(self) -> list[str]:
        return [self.model, self.pk, self.form]


@dataclass
class Token:
    version: int
    at: datetime
    base: EditState
    #: Conflict keys shown to the editor and waiting for their choice.
    pending: list[str] = field(default_factory=list)
    #: The conflict shown came from an unknown base ("we could not tell which version
    #: you started from"): the form keeps that wording until the editor has chosen.
    base_unknown: bool = False

    def dumps(self, binding: Binding) -> str:
        data = {
            "for": binding.as_json(),
            "v": self.version,
            "at": self.at.isoformat(),
            "base": self.base.as_json(),
            "pending": self.pending,
            "unknown": self.base_unknown,
        }
        return signing.dumps(data, salt=_SALT, compress=True)

    @classmethod
    def loads(cls, text: str | None, binding: Binding) -> "Token | None":
        """The token if it is intact and names ``binding``; None (base unknown) otherwise."""
        if not text:
            logger.info("no version token on %s %s: base unknown", binding.model, binding.pk)
            return None
        try:
            data = signing.loads(text, salt=_SALT)
        except signing.BadSignature:
            logger.warning("tampered version token on %s %s", binding.model, binding.pk)
            return None
        if not isinstance(data, dict) or data.get("for") != binding.as_json():
            # Another object's token: its base is that object's values, never read here.
            logger.warning("foreign version token on %s %s", binding.model, binding.pk)
            return None
        try:
            return cls(
                version=int(data["v"]),
                at=datetime.fromisoformat(data["at"]),
                base=EditState.from_json(data["base"]),
                pending=[str(key) for key in data.get("pending", [])],
                base_unknown=bool(data.get("unknown", False)),
            )
        except (KeyError, TypeError, ValueError, AttributeError):
            logger.warning("malformed version token on %s %s", binding.model, binding.pk)
            return None
