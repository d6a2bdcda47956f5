"""gunicorn settings for I2I (`gunicorn -c python:app.gunicorn_conf 'wsgi:create_app()'`).

Each worker starts the background-duty runner once it has loaded the app; the runners
elect one leader among themselves (see `app.jobs`).
"""

from app import jobs


def post_worker_init(worker) -> None:
    worker.i2i_jobs = jobs.start(worker.wsgi)
