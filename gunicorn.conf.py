"""gunicorn settings of the Procfile's web process (gunicorn reads ./gunicorn.conf.py by default).

The worker count lives here only: WEB_CONCURRENCY, 2 when unset. Whatever count gunicorn
finally runs (this file, or a --workers given on the command line) is exported back to the
workers as WEB_CONCURRENCY before they load the app, so arena/config.py sees the real count and
refuses several workers without a shared SECRET_KEY (each would otherwise generate its own
instance/secret_key and reject the others' sessions). With --preload the app is loaded once,
in the master, before this hook runs: then all workers share the one key it read.
"""

import os

bind = f"0.0.0.0:{os.environ.get('PORT', '5000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = 64


def pre_fork(server, worker):
    """Runs in the master before each worker is forked: the worker inherits the real count."""
    os.environ["WEB_CONCURRENCY"] = str(server.num_workers)
