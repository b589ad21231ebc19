"""The database: MariaDB/MySQL from ``DATABASE_URL``, else SQLite under ``VAR_DIR``."""

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from config.env import env_int, env_str
from config.settings.core import VAR_DIR

# --- Database ------------------------------------------------------------------
# mysql://root@127.0.0.1:3306/catalog for MariaDB; a SQLite file by default.
DATABASE_URL = env_str("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'catalog.sqlite3'}"
try:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL,
            conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
            conn_health_checks=True,
        )
    }
except (ValueError, KeyError) as exc:  # an unknown scheme, a port that is not a number
    raise ImproperlyConfigured(
        f"DATABASE_URL is not a database URL ({exc}); e.g. mysql://root@127.0.0.1:3306/catalog."
    ) from None
if DATABASES["default"]["ENGINE"] == "django.db.backends.mysql":
    # Seconds a statement waits for a row lock before failing (MariaDB's default is 50).
    DATABASE_LOCK_WAIT_TIMEOUT = env_int("DATABASE_LOCK_WAIT_TIMEOUT", 50)
    # Seconds a new connection may take (TCP connect and the server's greeting). Without
    # it a host that accepts and never answers holds a connect for minutes: a worker's
    # shutdown, releasing its batch shard lease, would wait as long (stats.batch.shards).
    DATABASE_CONNECT_TIMEOUT = env_int("DATABASE_CONNECT_TIMEOUT", 5, minimum=1)
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "charset": "utf8mb4",
            "connect_timeout": DATABASE_CONNECT_TIMEOUT,
            "init_command": (
                "SET SESSION sql_mode='STRICT_TRANS_TABLES', "
                f"innodb_lock_wait_timeout={DATABASE_LOCK_WAIT_TIMEOUT}"
            ),
        }
    )
    DATABASES["default"]["TEST"] = {"CHARSET": "utf8mb4", "COLLATION": "utf8mb4_unicode_ci"}
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default has the web server and workers writing at once: WAL lets
    # readers run beside a writer, IMMEDIATE transactions take the write lock up front
    # (no upgrade deadlock), and the timeout makes writers queue instead of failing.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
