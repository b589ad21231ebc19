"""Date formats of the admin (``FORMAT_MODULE_PATH``): one way to write a moment,
"5 Dec 2026, 19:14", on every page (``en``: the admin's only language)."""
