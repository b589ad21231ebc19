"""The embedded default's broker: a kombu transport on one SQLite file (``sqlite://``).

Importing this package registers the ``sqlite`` URL scheme with kombu, which the broker
settings do before any connection is made. See ``transport`` for what it guarantees.
"""

from kombu.transport import TRANSPORT_ALIASES

# Registry: config.upstream "kombu virtual transport" (a URL scheme through TRANSPORT_ALIASES).
TRANSPORT_ALIASES.setdefault("sqlite", "config.embedded_broker.transport:Transport")
