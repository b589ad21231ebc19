"""The WSGI application gunicorn serves (``config.wsgi:application``).

Settings that refuse to load stop the process with one line (``config/startup.py``, run
when Django imports the ``config`` package); gunicorn's master checks them first
(``gunicorn.conf.py``), so no worker is started with them.
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_wsgi_application()
