"""Read by gunicorn from the directory it starts in (the repository, as the Procfile runs it).

Its master process loads the settings before it starts any worker: a refusal is one line
and exit status 4 (``config/startup.py``). Left to the workers, each printed the refusal
and gunicorn's master then stopped with a traceback of its own. Command-line options
still set everything else.
"""

from config.startup import settings_or_exit

settings_or_exit()
