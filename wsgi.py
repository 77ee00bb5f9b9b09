"""The WSGI entry point (gunicorn wsgi:app): the app, warmed up before it takes requests, logging
geohub's imports, cache rebuilds and refusals at INFO to stderr (unless logging is set up already)."""
import logging

from geohub import create_app
from geohub.store import store_exists
from geohub.web import warm_up

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
app = create_app()
_url = app.config.get("GEOHUB_DATABASE_URL") or app.config["GEOHUB_STORE"]
if not store_exists(_url):
    # A server never creates a store: a mistyped GEOHUB_STORE would otherwise serve an empty one.
    raise SystemExit(f"There is no store at {_url}. Check GEOHUB_STORE, or create the store first "
                     "with an import ('geohub fetch --source DIR' or 'geohub import-boundaries FILE').")
warm_up()
with app.test_request_context():   # check the stored boundary sets now, not on the first probe
    from geohub.web.resources import broken_sets, get_store
    broken_sets(get_store())
