"""Edit and delete stored indicators, each in one store transaction (a refused change changes nothing).

- ``edit_indicator`` changes the title, unit, source or licence, and may give the indicator a new
  id: its values follow, and every derived ratio (``geohub derive``) naming it as its numerator or
  denominator is made to name the new id, in the same transaction.
- ``delete_indicator`` removes an indicator and its values; it refuses to remove a part of a ratio,
  naming the ratio (delete the ratio first).

Both are recorded in the store's imports, like the imports they undo or amend, and return a report
whose lines the CLI prints. Nothing here reads Flask; the store comes from a factory.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from geohub.errors import InputError
from geohub.geography.validation import check_indicator_id, check_indicator_meta, quote
from geohub.store import resolve_store

EDITABLE = ("title", "unit", "source", "licence")
PARTS = ("numerator", "denominator")


@dataclass
class IndicatorChange:
    """What one edit or delete did, and the import id it was recorded under."""

    indicator_id: str
    import_id: int
    lines_: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        return self.lines_


def ratios_using(metas: list[dict], indicator_id: str) -> list[tuple[dict, str]]:
    """(ratio metadata, role) for every derived ratio with ``indicator_id`` as a part."""
    return [(m, role) for m in metas for role in PARTS
            if m.get(role) == indicator_id and m["id"] != indicator_id]


def _check_unit(meta: dict) -> None:
    unit = meta.get("unit")
    if meta.get("kind") == "count" and unit and re.search(r"%|percent|per ", unit, re.IGNORECASE):
        raise InputError(f"{meta['id']} is a count, so its unit cannot be {unit!r} (a rate's unit).",
                         "Counts are summed when areas are combined; import the figures again with "
                         "«kind» rate if they are a rate.")


def edit_indicator(store_factory, indicator_id: str, *, title: str | None = None,
                   unit: str | None = None, source: str | None = None, licence: str | None = None,
                   new_id: str | None = None) -> IndicatorChange:
    """Change an indicator's texts and/or id. None leaves a field as it is; an empty string clears
    the unit, source or licence. InputError (store unchanged) for nothing to change, an empty title,
    a new id that is not a slug or is taken, or texts over their length limits."""
    if new_id is not None:
        check_indicator_id(new_id)
    given = {"title": title, "unit": unit, "source": source, "licence": licence}
    if all(v is None for v in given.values()) and new_id is None:
        raise InputError(f"Nothing to change for {indicator_id!r}.",
                         "Give at least one of «title», «unit», «source», «licence» or «new-id».")
    if title is not None and not title.strip():
        raise InputError("A title cannot be empty.", "Give the indicator a title people can read.")
    store = resolve_store(store_factory)
    metas = store.indicators()
    old = store.indicator(indicator_id)   # NotFound lists the ids there are
    meta = dict(old)
    meta.pop("import_id", None)
    changes = []
    for key, value in given.items():
        if value is None:
            continue
        value = value.strip() or None
        if value != old.get(key):
            changes.append(f"{key} {quote(old.get(key))} -> {quote(value)}")
            meta[key] = value
    renamed = new_id is not None and new_id != indicator_id
    if renamed:
        if any(m["id"] == new_id for m in metas):
            raise InputError(f"There is already an indicator {new_id!r}.",
                             f"Choose another id for {indicator_id!r}, or delete {new_id!r} first "
                             f"with 'geohub indicator delete {new_id}'.")
        meta["id"] = new_id
    if not changes and not renamed:
        raise InputError(f"{indicator_id!r} already has these values: nothing to change.",
                         "Give a value that differs from the stored one (see 'geohub indicator "
                         f"{indicator_id}').")
    check_indicator_meta(meta)
    _check_unit(meta)
    ratios = ratios_using(metas, indicator_id) if renamed else []
    with store.transaction() as tx:
        details = {"indicator": indicator_id, "changes": changes}
        if renamed:
            details |= {"new_id": new_id, "ratios": sorted({r["id"] for r, _ in ratios})}
        import_id = tx.record_import("edit", indicator_id, None, None, details)
        moved = tx.update_indicator(indicator_id, meta)
        for ratio in {r["id"]: r for r, _ in ratios}.values():
            updated = {k: v for k, v in ratio.items() if k != "import_id"}
            updated |= {role: new_id for role in PARTS if ratio.get(role) == indicator_id}
            tx.update_indicator(ratio["id"], updated)
    lines = [f"{indicator_id}: " + "; ".join(
        ([f"id -> {new_id!r} ({moved} values moved)"] if renamed else []) + changes) + "."]
    lines += [f"  {r['id']}: its {role} is now {new_id!r}." for r, role in ratios]
    return IndicatorChange(meta["id"], import_id, lines)


def delete_indicator(store_factory, indicator_id: str) -> IndicatorChange:
    """Remove an indicator and its values. InputError (store unchanged) if a derived ratio is built
    from it: the message names the ratio."""
    store = resolve_store(store_factory)
    metas = store.indicators()
    meta = store.indicator(indicator_id)
    users = ratios_using(metas, indicator_id)
    if users:
        named = ", ".join(f"{r['id']!r} ({r['title']}, as its {role})" for r, role in users)
        raise InputError(f"{indicator_id!r} is a part of the derived ratio {named}.",
                         "Delete the ratio first ('geohub indicator delete RATIO'), or keep "
                         f"{indicator_id!r}.")
    values = len(store.indicator_values(indicator_id))
    with store.transaction() as tx:
        import_id = tx.record_import("delete", indicator_id, None, None,
                                     {"indicator": indicator_id, "title": meta.get("title"),
                                      "values": values})
        tx.delete_indicator(indicator_id)
    return IndicatorChange(indicator_id, import_id,
                           [f"{indicator_id}: deleted with its {values} values ({meta.get('title')})."])

