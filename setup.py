"""Packaging beyond what pyproject.toml can say: the top-level source folders ``static/`` (front-end
assets) and ``boundaries/`` (the dataset catalogue) ship inside the package as ``geohub/static`` and
``geohub/boundaries``, so an installed geohub (a wheel, not only a checkout) serves its pages and
fetches its catalogue. Code finds them through ``geohub.packaged``, never relative to the checkout."""
from setuptools import find_packages, setup

DATA_FOLDERS = {"geohub.static": "static", "geohub.boundaries": "boundaries"}

setup(
    packages=find_packages(include=["geohub", "geohub.*"]) + list(DATA_FOLDERS),
    package_dir=DATA_FOLDERS,
    package_data={
        "geohub": ["web/templates/*.html", "web/templates/**/*.html", "maps/templates/*"],
        "geohub.static": ["**/*"],
        "geohub.boundaries": ["*.toml", "*.md"],
    },
)
