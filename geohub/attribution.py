"""Attribution lines every map, export and embed must show (Open Government Licence v3.0)."""
from __future__ import annotations

OGL_URL = "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"


def boundary_attribution(year: int | None) -> str:
    """The ONS/OS boundary attribution for boundaries of ``year`` (the vintage)."""
    suffix = f" {year}" if year else ""
    return ("Source: Office for National Statistics licensed under the Open Government Licence v.3.0. "
            f"Contains OS data © Crown copyright and database right{suffix}")
