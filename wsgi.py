"""The WSGI entry point (gunicorn wsgi:app): the app, warmed up before it takes requests."""
from geohub import create_app
from geohub.web import warm_up

app = create_app()
warm_up()
