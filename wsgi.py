"""The WSGI entry point (gunicorn wsgi:app): the app, warmed up before it takes requests."""
from geohub import create_app
from geohub.web import warm_up

app = create_app()
warm_up()
with app.test_request_context():   # check the stored boundary sets now, not on the first probe
    from geohub.web.resources import broken_sets, get_store
    broken_sets(get_store())
