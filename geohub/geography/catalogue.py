"""The catalogue of ONS Open Geography Portal boundary datasets geohub can fetch.

``load_catalogue()`` reads the packaged ``boundaries/catalogue.toml`` (or the file named by the
``GEOHUB_CATALOGUE`` setting),
checks every entry and returns a ``Catalogue``: entries by id, in file order, and the default set that
``geohub serve`` loads on an empty store. A malformed catalogue or an unknown dataset id raises
InputError naming the entry and the fix.
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from geohub import settings
from geohub.errors import InputError
from geohub.geography.levels import get_level

CATALOGUE_ENV = "GEOHUB_CATALOGUE"
GENERALISATIONS = ("BFE", "BFC", "BGC", "BSC", "BUC")
KINDS = ("featureserver", "file", "lookup", "gazetteer")

_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_REQUIRED = ("id", "title", "vintage", "attribution")
_OPTIONAL = ("kind", "level", "generalisation", "service", "layer", "code_field", "name_field",
             "default", "mirror", "url")


def default_path() -> Path:
    """The catalogue shipped in the package (the repository's ``boundaries/catalogue.toml``),
    unless the ``GEOHUB_CATALOGUE`` setting names another file."""
    override = settings.get(CATALOGUE_ENV)
    if override:
        return Path(override)
    from geohub.packaged import boundaries_dir
    return boundaries_dir() / "catalogue.toml"


@dataclass(frozen=True)
class Dataset:
    """One catalogue entry: where the dataset lives (FeatureServer service or file URL, and/or a
    path inside a mirror folder) and how to import it (level, vintage, fields, attribution)."""

    id: str
    title: str
    vintage: int
    attribution: str
    kind: str = "featureserver"
    level: str | None = None          # None: a multi-level file, each layer says its own level
    generalisation: str | None = None
    service: str | None = None
    layer: int = 0
    code_field: str | None = None
    name_field: str | None = None
    default: bool = False
    mirror: str | None = None
    url: str | None = None

    @property
    def remote(self) -> str | None:
        """What a download needs (service name or file URL); None if only a mirror has it."""
        return self.service if self.kind == "featureserver" else self.url

    @property
    def is_lookup(self) -> bool:
        """An official lookup or code history (imported as relationships), not boundaries."""
        return self.kind == "lookup"


class Catalogue:
    """Checked catalogue entries, in file order."""

    def __init__(self, datasets: list[Dataset], path: Path):
        self.path = path
        self.datasets = datasets
        self._by_id = {d.id: d for d in datasets}

    def __iter__(self):
        return iter(self.datasets)

    def __len__(self) -> int:
        return len(self.datasets)

    def ids(self) -> list[str]:
        return [d.id for d in self.datasets]

    def get(self, dataset_id: str) -> Dataset:
        """The entry ``dataset_id``; InputError listing the known ids otherwise."""
        found = self._by_id.get(str(dataset_id).strip().lower())
        if found is None:
            raise InputError(f"Unknown dataset {dataset_id!r}.",
                             f"Known datasets: {', '.join(self.ids())}.")
        return found

    def select(self, ids) -> list[Dataset]:
        """The entries named by ``ids`` (duplicates dropped), or the defaults when ``ids`` is empty.
        Every id is checked before anything is returned, so one typo fails the whole request."""
        if not ids:
            return self.defaults()
        unknown = [i for i in ids if str(i).strip().lower() not in self._by_id]
        if unknown:
            raise InputError(f"Unknown dataset{'s' if len(unknown) > 1 else ''} "
                             f"{', '.join(repr(u) for u in unknown)}.",
                             f"Known datasets: {', '.join(self.ids())}.")
        chosen = []
        for i in ids:
            entry = self.get(i)
            if entry not in chosen:
                chosen.append(entry)
        return chosen

    def defaults(self) -> list[Dataset]:
        return [d for d in self.datasets if d.default]


def _check(raw: dict, where: str) -> Dataset:
    def bad(problem: str) -> InputError:
        return InputError(f"{where}: {problem}.", "Fix the entry (the format is in boundaries/README.md).")

    unknown = sorted(set(raw) - set(_REQUIRED) - set(_OPTIONAL))
    if unknown:
        raise bad(f"unknown key{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}")
    missing = [k for k in _REQUIRED if k not in raw]
    if missing:
        raise bad(f"missing {', '.join(missing)}")
    entry = Dataset(**raw)
    if not isinstance(entry.id, str) or not _ID.match(entry.id):
        raise bad(f"id {entry.id!r} must be lower-case letters, digits and hyphens")
    if entry.kind not in KINDS:
        raise bad(f"kind {entry.kind!r} must be one of {', '.join(KINDS)}")
    if entry.level is not None:
        try:
            get_level(entry.level)
        except InputError as exc:
            raise bad(f"{exc.raw_message} {exc.raw_hint}".rstrip(".")) from exc
    if not isinstance(entry.vintage, int) or not 1990 <= entry.vintage <= 2100:
        raise bad(f"vintage {entry.vintage!r} must be a four-digit year")
    if entry.generalisation is not None and entry.generalisation not in GENERALISATIONS:
        raise bad(f"generalisation {entry.generalisation!r} must be one of {', '.join(GENERALISATIONS)}")
    if not isinstance(entry.layer, int) or entry.layer < 0:
        raise bad(f"layer {entry.layer!r} must be a layer index (0, 1, ...)")
    if not isinstance(entry.default, bool):
        raise bad("default must be true or false")
    if not str(entry.attribution).strip():
        raise bad("attribution is empty")
    if entry.kind in ("lookup", "gazetteer") and entry.service:
        raise bad(f"service is only for FeatureServer datasets; a {entry.kind} comes from a url or a mirror")
    if entry.kind == "gazetteer" and not (entry.level and entry.code_field and entry.name_field):
        raise bad("a gazetteer needs level (the points it names), code_field and name_field")
    if entry.kind == "featureserver" and entry.url:
        raise bad("url is only for kind = \"file\"; a FeatureServer dataset names its service")
    if entry.kind == "file" and entry.service:
        raise bad("service is only for FeatureServer datasets")
    if entry.kind == "file" and entry.url and not entry.url.startswith(("http://", "https://")):
        raise bad(f"url {entry.url!r} is not an http(s) URL")
    if entry.remote is None and entry.mirror is None:
        raise bad("it needs a service (or url) to download from, or a mirror path, or both")
    if entry.mirror is not None:
        mirror = PurePosixPath(entry.mirror)
        if mirror.is_absolute() or ".." in mirror.parts:
            raise bad(f"mirror {entry.mirror!r} must be a relative path inside the mirror folder")
    if entry.default and entry.mirror is None:
        # The default set is what a mirror folder can always provide (offline serve).
        raise bad("a default dataset needs a mirror path")
    return entry


def load_catalogue(path: str | Path | None = None) -> Catalogue:
    """Read and check the catalogue; InputError naming the first bad entry."""
    path = Path(path) if path is not None else default_path()
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError as exc:
        raise InputError(f"The dataset catalogue {path} does not exist.",
                         f"Set {CATALOGUE_ENV} to a catalogue file, or restore boundaries/catalogue.toml.") from exc
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"The dataset catalogue {path} is not valid TOML: {exc}.",
                         "Fix the file (the format is in boundaries/README.md).") from exc
    extra = sorted(set(data) - {"dataset"})
    if extra:
        raise InputError(f"The dataset catalogue {path} has unknown top-level keys: {', '.join(extra)}.",
                         "Entries go in [[dataset]] tables.")
    raws = data.get("dataset", [])
    if not raws:
        raise InputError(f"The dataset catalogue {path} has no [[dataset]] entries.")
    datasets, seen = [], set()
    for number, raw in enumerate(raws, start=1):
        entry = _check(raw, f"{path.name}, dataset {number} ({raw.get('id', 'no id')})")
        if entry.id in seen:
            raise InputError(f"{path.name}: dataset id {entry.id!r} appears twice.",
                             "Every dataset needs its own id.")
        seen.add(entry.id)
        datasets.append(entry)
    return Catalogue(datasets, path)
