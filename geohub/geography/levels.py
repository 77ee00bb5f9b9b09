"""The geography levels geohub knows, and how to recognise them from GSS codes and ONS field names.

Level names (``lad``, ``county``, ``lep`` ...) are the only spelling used in the CLI, URLs and the API;
input is case-insensitive. Vintages are four-digit years.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from geohub.errors import InputError


@dataclass(frozen=True)
class Outline:
    """How a governance level's boundaries are drawn over other levels' maps (interactive and
    print): line colour, width in CSS pixels, and dash pattern (None: solid)."""

    colour: str
    weight: float
    dash: str | None = None   # SVG/Leaflet dash array, e.g. "8 4"


@dataclass(frozen=True)
class Level:
    """One kind of geography: its name, how ONS spells it, which GSS entity codes belong to it and,
    for a governance level, how its outlines are drawn. Everything geohub knows per level is here:
    the CLI's level choices, ONS field and file-name stems (geography/conventions.py) and overlay
    styles (maps/palettes.py) are read from ``LEVELS``, so adding a level is an entry below (and
    the README's list of levels)."""

    name: str
    label: str
    plural: str
    entities: tuple[str, ...]       # GSS entity prefixes, e.g. ("E06", "E07", ...)
    field_prefixes: tuple[str, ...]  # ONS field stems, e.g. LAD in LAD21CD (also file names: LAD16_...)
    topojson_objects: tuple[str, ...] = ()
    outline: Outline | None = None   # a governance level: drawn as outlines over other levels' maps
    # Made of whole local authority districts by definition (DESIGN.md): a LAD is a member (share 1)
    # of each such area it belongs to, never a fraction of one.
    whole_lads: bool = False

    @property
    def governance(self) -> bool:
        """Drawn as an overlay of outlines on other levels' maps, and listed among an area's
        memberships."""
        return self.outline is not None


LEVELS: tuple[Level, ...] = (
    Level("lad", "Local authority district", "Local authority districts",
          ("E06", "E07", "E08", "E09", "W06", "S12", "N09"), ("LAD", "LTLA"), ("ltla", "lad")),
    Level("utla", "Upper-tier local authority", "Upper-tier local authorities",
          (), ("UTLA", "CTYUA"), ("utla",), whole_lads=True),
    Level("county", "County", "Counties", ("E10",), ("CTY", "COUNTY"), ("cty", "county"),
          outline=Outline("#4c2c92", 2, "2 4"), whole_lads=True),
    Level("mcounty", "Metropolitan county", "Metropolitan counties", ("E11",), ("MCTY",), ("mcty",),
          whole_lads=True),
    Level("lep", "Local Enterprise Partnership", "Local Enterprise Partnerships", ("E37",), ("LEP",),
          ("lep",), outline=Outline("#d4351c", 2.5), whole_lads=True),
    Level("cauth", "Combined authority", "Combined authorities", ("E47",), ("CAUTH", "CA"),
          ("cauth",), outline=Outline("#1d70b8", 3, "8 4"), whole_lads=True),
    Level("lsip", "Local Skills Improvement Plan area", "Local Skills Improvement Plan areas", ("E69",),
          ("LSIP",), ("lsip",), outline=Outline("#00703c", 2, "10 3 2 3"), whole_lads=True),
    Level("region", "Region", "Regions", ("E12",), ("RGN", "REGION"), ("rgn", "region"),
          outline=Outline("#0b0c0c", 3.5), whole_lads=True),
    Level("country", "Country", "Countries", ("E92", "W92", "S92", "N92"), ("CTRY", "COUNTRY"),
          ("ctry", "country"), whole_lads=True),
    Level("uk", "United Kingdom", "United Kingdom", ("K02",), ("UK",), ("uk",), whole_lads=True),
    Level("msoa", "Middle layer super output area", "Middle layer super output areas", ("E02", "W02"),
          ("MSOA",), ("msoa",)),
    Level("lsoa", "Lower layer super output area", "Lower layer super output areas", ("E01", "W01"),
          ("LSOA",), ("lsoa",)),
)

_BY_NAME = {level.name: level for level in LEVELS}
_BY_ENTITY = {entity: level for level in LEVELS for entity in level.entities}
_BY_FIELD_PREFIX = {prefix: level for level in LEVELS for prefix in level.field_prefixes}
_BY_TOPOJSON = {name: level for level in LEVELS for name in level.topojson_objects}
_GSS = re.compile(r"^[EWSNK]\d{8}$")


def level_names() -> list[str]:
    return [level.name for level in LEVELS]


def get_level(name: str) -> Level:
    """The level called ``name`` (case-insensitive); InputError listing the valid names otherwise."""
    level = _BY_NAME.get(str(name).strip().lower())
    if level is None:
        raise InputError(f"Unknown level {name!r}.", f"Use one of: {', '.join(level_names())}.")
    return level


def is_gss_code(code: str) -> bool:
    return bool(_GSS.match(code or ""))


def level_for_code(code: str) -> Level | None:
    """The level a GSS code's entity prefix names (``E06000001`` -> lad), or None if unknown."""
    if not isinstance(code, str) or len(code) < 3:
        return None
    return _BY_ENTITY.get(code[:3].upper())


def level_for_field_prefix(prefix: str) -> Level | None:
    return _BY_FIELD_PREFIX.get(prefix.upper())


def level_for_topojson_object(name: str) -> Level | None:
    return _BY_TOPOJSON.get(name.lower())


def parse_vintage(value) -> int:
    """A vintage as a four-digit year; two-digit years (``21``) are read as 20xx."""
    text = str(value).strip()
    if re.fullmatch(r"\d{2}", text):
        return 2000 + int(text)
    if re.fullmatch(r"(19|20)\d{2}", text):
        return int(text)
    raise InputError(f"Vintage {value!r} is not a year.", "Give the boundary year, e.g. 2021.")


def nests_lads(source_level: str | None, target_level: str | None) -> bool:
    """True when ``target_level`` is made of whole LADs and the sources are LADs: relationships
    between them are memberships (share 1), not fractional area shares."""
    if source_level != "lad" or target_level is None:
        return False
    level = _BY_NAME.get(target_level)
    return bool(level and level.whole_lads)
