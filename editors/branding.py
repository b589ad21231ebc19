"""Our logo and favicon, drawn in the environment's colour.

So that nobody edits production by mistake, every admin page shows the environment
three times: the label in the header (django-admin-interface's theme), and the colour of
the logo and of the browser tab's icon. One colour per environment, here; the theme
takes its label colour from the same function (``editors.services.admin_theme_ensure``).

The images are small SVG documents built from the colour, served by ``editors.views``:
no file per environment to keep in step, and no upload (django-admin-interface's own
favicon and logo are uploaded files, and it falls back to Django's logo).
"""

from django.utils.html import escape

#: Environment name prefix -> colour: green is safe to break, red is the real thing.
#: A prefix, so "staging-eu" or "production-2" get their family's colour.
_COLOURS = [
    ("prod", "#C0392B"),  # red
    ("stag", "#D68910"),  # orange
    ("test", "#D68910"),  # orange
    ("dev", "#1E8449"),  # green
]
#: Any other name (a demo, a laptop): grey, neither safe-looking nor alarming.
OTHER_COLOUR = "#5D6D7E"

#: The mark: a white price tag (the catalog) on a rounded square of the environment's
#: colour. 32 x 32 units; the tag's hole shows the colour through it.
_MARK = (
    '<rect width="32" height="32" rx="7" fill="{colour}"/>'
    '<path d="M6 9.5h13.5l7 6.5-7 6.5H6z" fill="#fff"/>'
    '<circle cx="19.5" cy="16" r="2" fill="{colour}"/>'
    '<path d="M9.5 14h6M9.5 18h4" stroke="{colour}" stroke-width="1.6" '
    'stroke-linecap="round"/>'
)


def environment_colour(environment_name: str) -> str:
    """``"production"`` -> red, ``"staging-eu"`` -> orange, ``"development"`` -> green."""
    name = environment_name.strip().lower()
    for prefix, colour in _COLOURS:
        if name.startswith(prefix):
            return colour
    return OTHER_COLOUR


def mark_svg(*, environment_name: str, size: int = 32) -> str:
    """The mark as a standalone SVG document ``size`` pixels square, titled for screen readers."""
    colour = environment_colour(environment_name)
    title = escape(f"Catalog Editor ({environment_name})")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" '
        f'viewBox="0 0 32 32" role="img"><title>{title}</title>'
        f"{_MARK.format(colour=colour)}</svg>"
    )
