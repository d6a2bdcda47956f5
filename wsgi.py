"""Entry point for `flask --app wsgi ...` and gunicorn (`gunicorn 'wsgi:create_app()'`).

It only names the factory: importing it builds no app and touches no database.
"""

from app import create_app

__all__ = ["create_app"]
