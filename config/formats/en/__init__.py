"""English (the admin's language): ``formats``, Django's format names set to "5 Dec 2026, 19:14"."""
