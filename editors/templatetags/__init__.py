"""Template filters of the admin's pages: ``humanize_words`` (durations in words)."""
