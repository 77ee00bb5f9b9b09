"""``python -m geohub``: the same as the ``geohub`` command."""
from geohub.cli import main

main()
