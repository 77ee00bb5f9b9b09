"""The WSGI entry point (gunicorn wsgi:app): the app, warmed up before it takes requests, logging
geohub's imports, cache rebuilds and refusals at INFO to stderr (unless logging is set up already)."""
import logging

from geohub import create_app
from geohub.web import warm_up

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
app = create_app()
warm_up()
with app.test_request_context():   # check the stored boundary sets now, not on the first probe
    from geohub.web.resources import broken_sets, get_store
    broken_sets(get_store())
