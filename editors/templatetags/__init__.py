"""Template filters and tags of the admin's pages: ``humanize_words`` (durations in words),
``admin_words`` (Django's list markup in the editors' words)."""
