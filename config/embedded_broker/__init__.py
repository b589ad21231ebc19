"""The embedded default's broker: a kombu transport on one SQLite file (``sqlite://``).

Importing this package registers the ``sqlite`` URL scheme with kombu, which the broker
settings do before any connection is made. ``transport`` says what it guarantees;
``store`` holds its tables and every statement run on them; ``liveness`` notices when the
holder of unacked messages has died and hands them on; ``legacy`` reads messages left by
the filesystem transport of older checkouts.
"""

from kombu.transport import TRANSPORT_ALIASES

# Registry: config.upstream "kombu virtual transport" (a URL scheme through TRANSPORT_ALIASES).
TRANSPORT_ALIASES.setdefault("sqlite", "config.embedded_broker.transport:Transport")
