"""The catalog and editors apps: the category tree, imports, the History page."""

from config.env import env_int

# The deepest level a category may sit at (top level is 1): saves beyond it are refused,
# and every walk of the tree stops there even on bad data (catalog/tree.py).
CATALOG_CATEGORY_MAX_DEPTH = env_int("CATALOG_CATEGORY_MAX_DEPTH", 32, minimum=1)

# The largest import file accepted, in bytes (an upload or a command's file).
CATALOG_IMPORT_MAX_BYTES = env_int("CATALOG_IMPORT_MAX_BYTES", 100 * 1024 * 1024)
# An import task's hard time limit in seconds: under RabbitMQ's consumer_timeout (30 min),
# which would otherwise close the channel of a worker still holding the unacked message.
CATALOG_IMPORT_TIME_LIMIT = env_int("CATALOG_IMPORT_TIME_LIMIT", 25 * 60)

# History page only: one editor's saves this close together share a row (0: a row per
# save). Every save is always stored.
EDITORS_HISTORY_FOLD_SECONDS = env_int("EDITORS_HISTORY_FOLD_SECONDS", 600)

# Exports from the admin at once, over every web process and host (slots in the
# database), and per user; one more is refused with a message. A web process killed
# mid-export frees its slots after CATALOG_EXPORT_SLOT_SECONDS (renewed as it writes).
# The export_catalog command runs in a process of its own and takes no slot.
CATALOG_EXPORTS_AT_ONCE = env_int("CATALOG_EXPORTS_AT_ONCE", 2, minimum=1)
CATALOG_EXPORTS_PER_USER = env_int("CATALOG_EXPORTS_PER_USER", 1, minimum=1)
CATALOG_EXPORT_SLOT_SECONDS = env_int("CATALOG_EXPORT_SLOT_SECONDS", 60, minimum=10)
