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

# Bounded imports (#22): what one import file may hold, so that no file (a junk file, an
# XLSX "zip bomb") can take the import worker's memory or time; see docs/operations.md.
# Data rows read (blank ones included): a file longer than this is refused.
CATALOG_IMPORT_MAX_ROWS = env_int("CATALOG_IMPORT_MAX_ROWS", 1_000_000, minimum=1)
# Cells a row may have (trailing empty ones aside); the layout has 13 columns.
CATALOG_IMPORT_MAX_COLUMNS = env_int("CATALOG_IMPORT_MAX_COLUMNS", 50, minimum=13)
# Characters in one cell (Excel's own limit; a description holds at most 20,000).
CATALOG_IMPORT_MAX_CELL_CHARS = env_int("CATALOG_IMPORT_MAX_CELL_CHARS", 32_767, minimum=20_000)
# Reading stops after this many row errors: the file is refused with what was found.
CATALOG_IMPORT_STOP_AFTER_ERRORS = env_int("CATALOG_IMPORT_STOP_AFTER_ERRORS", 1_000, minimum=1)
# Row errors of each kind (column and rule) kept in the report; every error is counted.
CATALOG_IMPORT_REPORT_ERRORS_PER_KIND = env_int(
    "CATALOG_IMPORT_REPORT_ERRORS_PER_KIND", 20, minimum=1
)
# XLSX, read from the zip's directory before anything is inflated: every part together,
# inflated; each part that is read whole (all but the worksheets and the shared strings,
# which are streamed); and how much smaller than its content a part may be compressed.
CATALOG_IMPORT_XLSX_MAX_BYTES = env_int("CATALOG_IMPORT_XLSX_MAX_BYTES", 1024 * 1024 * 1024)
CATALOG_IMPORT_XLSX_MAX_PART_BYTES = env_int(
    "CATALOG_IMPORT_XLSX_MAX_PART_BYTES", 16 * 1024 * 1024, minimum=1024 * 1024
)
CATALOG_IMPORT_XLSX_MAX_RATIO = env_int("CATALOG_IMPORT_XLSX_MAX_RATIO", 100, minimum=10)
# Strings in an XLSX's shared-string table (kept on disk while the file is read).
CATALOG_IMPORT_XLSX_MAX_SHARED_STRINGS = env_int(
    "CATALOG_IMPORT_XLSX_MAX_SHARED_STRINGS", 4_000_000, minimum=1
)

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
# An export of at least this many products is prepared in the background by the import
# worker (catalog/imports/export_jobs.py), listed on Jobs with a Download link; smaller
# ones download at once. Its file is removed CATALOG_EXPORT_KEEP_DAYS after it was made.
CATALOG_EXPORT_BACKGROUND_FROM = env_int("CATALOG_EXPORT_BACKGROUND_FROM", 20_000, minimum=1)
CATALOG_EXPORT_KEEP_DAYS = env_int("CATALOG_EXPORT_KEEP_DAYS", 7, minimum=1)

# --- Import jobs: owner, heartbeat and sweep, upload caps (catalog/imports/heartbeat.py,
# sweep.py, uploads.py) ---
# A running import whose worker has given no sign of life for this many seconds is taken
# for dead (its worker beats every second): the sweep sends it again, a Cancel ends it.
CATALOG_IMPORT_STALE_AFTER = env_int("CATALOG_IMPORT_STALE_AFTER", 60, minimum=5)
# Runs of one step (dry run or import) whose worker was lost before it is marked Failed.
CATALOG_IMPORT_MAX_ATTEMPTS = env_int("CATALOG_IMPORT_MAX_ATTEMPTS", 3, minimum=1)
# Seconds between two sweeps of the imports (on the import worker's queue).
CATALOG_IMPORT_SWEEP_INTERVAL = env_int("CATALOG_IMPORT_SWEEP_INTERVAL", 60, minimum=5)
# A dry run neither confirmed nor cancelled this many seconds is cancelled, its file removed.
CATALOG_IMPORT_PREVIEW_MAX_AGE = env_int("CATALOG_IMPORT_PREVIEW_MAX_AGE", 24 * 3600, minimum=60)
# Uploads one editor may keep waiting (checking or ready to import) before the next is refused.
CATALOG_IMPORT_MAX_KEPT_PREVIEWS = env_int("CATALOG_IMPORT_MAX_KEPT_PREVIEWS", 5, minimum=1)
# The first handler stops reading an upload larger than CATALOG_IMPORT_MAX_BYTES (every
# upload of the site), before Django's own handlers keep it in memory or on disk.
FILE_UPLOAD_HANDLERS = [
    "catalog.imports.uploads.CappedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

# The product list counts its rows exactly up to this many; beyond, it shows the
# database's estimate ("about 1,000,000 products") with "count exactly" on demand, and
# its numbered pages stop here ("Next" goes on by key): catalog.admin.counting.
CATALOG_LIST_EXACT_COUNT_UP_TO = env_int("CATALOG_LIST_EXACT_COUNT_UP_TO", 10_000, minimum=100)
# Beyond that many products, the category filter's counts are kept this long between
# requests instead of grouping the whole catalog on every page: catalog.selectors.
CATALOG_CATEGORY_COUNTS_CACHE_SECONDS = env_int(
    "CATALOG_CATEGORY_COUNTS_CACHE_SECONDS", 60, minimum=1
)
