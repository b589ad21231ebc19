"""Hypothesis settings of the property tests: reproducible and short under ``make test``.

``tests/conftest.py`` loads the profile named by ``HYPOTHESIS_PROFILE`` (``catalog`` when
unset):

- ``catalog``: derandomized, so every run on every machine tries the same examples and a
  failure in CI fails the same way locally; no example database (nothing written to
  ``.hypothesis/``, which derandomized runs would not read anyway). Sized so that all the
  property tests together take well under 30 s on CI's two cores.
- ``thorough``: random examples, ten times as many, and the example database in
  ``.hypothesis/`` (git ignores it) so a failure found once is tried first next time. For
  hunting locally: ``HYPOTHESIS_PROFILE=thorough pytest tests/stats/test_figures_properties.py``
  (or ``pytest --hypothesis-profile=thorough ...``).

Tests that write to the database take ``db_settings()``: a quarter of the profile's
examples (each one creates a product and its variants, then recomputes) and no deadline,
since a query's time depends on the machine's load, not on the code.
"""

import os

from hypothesis import HealthCheck, settings

CATALOG = "catalog"
THOROUGH = "thorough"

settings.register_profile(
    CATALOG,
    max_examples=200,
    derandomize=True,
    database=None,
    # Generous: the deadline is there to catch a pathological slowdown, not a busy CI core.
    deadline=1000,
    print_blob=True,
)
settings.register_profile(
    THOROUGH,
    max_examples=2000,
    derandomize=False,
    deadline=None,
    print_blob=True,
)


def profile_load() -> str:
    """Load the profile ``HYPOTHESIS_PROFILE`` names (default ``catalog``); return its name."""
    name = os.environ.get("HYPOTHESIS_PROFILE", CATALOG)
    settings.load_profile(name)
    return name


def db_settings() -> settings:
    """Settings of a property test that writes to the database (see the docstring)."""
    return settings(
        max_examples=max(10, settings.default.max_examples // 4),
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
