# Editors have no models of their own yet. The module exists because Django sends
# post_migrate only to apps with a models module, and that signal loads the admin theme.
