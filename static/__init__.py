"""The top-level static/ folder, which the build ships inside the package as geohub.static (see setup.py
and geohub/packaged.py). No code here: this file only makes the folder importable in every install."""
