"""WSGI entry point: `flask --app wsgi run` locally, gunicorn `wsgi:app` at scale."""

from arena import create_app

app = create_app()
