"""The Flask app: ``create_app(config)`` builds it; blueprints per concern; the store opens lazily."""
from __future__ import annotations

import os
from collections.abc import Mapping

from flask import Flask

from geohub import settings
from geohub.packaged import static_dir
from geohub.web.errors import register_error_handlers
from geohub.web.resources import close_store
from geohub.web.security import register_security_headers


def warm_up() -> None:
    """Pay a server's one-off costs before it takes requests rather than on its first map: import
    mapclassify (scipy, scikit-learn and its numba kernels: seconds) and load the overlap engine's
    compiled kernels; start the drawing process that exports are drawn in (its imports: seconds).
    The CLI does not call it, so commands that draw no map stay quick."""
    from geohub.maps.classify import load_mapclassify  # what classify() imports on first use
    load_mapclassify()

    from geohub.overlaps.areas import compile_kernels
    compile_kernels()

    from geohub.maps import render_process
    render_process.start()


def create_app(config: Mapping | None = None) -> Flask:
    """An app configured from defaults, then the environment, then ``config``.

    Nothing spatial is read here: the store opens on first use in a request or CLI command.
    """
    app = Flask(__name__, instance_relative_config=True,
                static_folder=str(static_dir()),
                static_url_path="/static")
    app.config.from_mapping(settings.defaults())
    app.config.from_mapping(settings.from_environment())
    if config:
        app.config.from_mapping(config)
    if not app.config.get("GEOHUB_STORE"):
        app.config["GEOHUB_STORE"] = os.path.join(app.instance_path, "geohub.gpkg")
    os.makedirs(app.instance_path, exist_ok=True)

    proxies = int(app.config.get("GEOHUB_PROXIES") or 0)
    if proxies:
        from werkzeug.middleware.proxy_fix import ProxyFix
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies,
                                x_prefix=proxies)
    app.teardown_appcontext(close_store)
    register_error_handlers(app)
    register_security_headers(app)

    from geohub.web import api, artifacts, compare, embeds, exports, pages
    app.register_blueprint(artifacts.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(exports.bp)
    app.register_blueprint(embeds.bp)
    app.register_blueprint(compare.bp)
    return app
