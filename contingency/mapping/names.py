"""The names a reader sees for a facility, a crossing's far side and a gap, in each language."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

from contingency.i18n import t
from contingency.metrics.gaps import Gap
from contingency.refdata import RefData


def facility_label(fid: str, lang: str, ref: RefData, summary: Mapping[str, Any]) -> str:
    """A facility's name in ``lang``; a centre's name carries its region, since several centres
    share a generic name (Kazakh: ``name_kk`` of ``maps/centres.csv``, else Russian)."""
    if fid in ref.checkpoints.index:
        row = ref.checkpoints.loc[fid]
        return str(row.get(f"name_{lang}") or row["name_ru"])
    if fid in ref.regions.index:
        return str(ref.regions.at[fid, f"name_{lang}"])
    info = summary.get("centres", {}).get(fid)
    if info is None and fid in ref.centres.index:
        row = ref.centres.loc[fid]
        info = {"name_ru": row["name_ru"], "name_en": row["name_en"], "region": row["region_iso"]}
    if info is None:
        return fid
    name = info["name_en"] if lang == "en" else info["name_ru"]
    if lang == "kk":
        name = _kazakh_centre_name(fid, ref) or name
    region = info.get("region")
    if region in ref.regions.index:
        region_name = str(ref.regions.at[region, f"name_{lang}"])
        if region_name not in name:
            name = f"{name}, {region_name}"
    return name


def _kazakh_centre_name(fid: str, ref: RefData) -> str | None:
    if "name_kk" not in ref.centres or fid not in ref.centres.index:
        return None
    name = ref.centres.at[fid, "name_kk"]
    return name if isinstance(name, str) and name.strip() else None


def partner_name(row: Mapping[Hashable, Any], lang: str = "en") -> str | None:
    """The crossing's short name on the far side in ``lang`` (``neighbour_checkpoint_ru`` or
    ``_kk`` where the map pack gives them, else ``neighbour_checkpoint``, else ``partner``),
    or ``None`` when the map pack gives none."""
    for col in (f"neighbour_checkpoint_{lang}", "neighbour_checkpoint", "partner"):
        v = row.get(col)
        if isinstance(v, str) and v.strip():
            return v.strip()
    return None


def gap_place(gap: Gap, lang: str, ref: RefData, summary: Mapping[str, Any]) -> str:
    """Where a gap is, in ``lang``: the facility's name, or for a far-side wait gap
    (``far_wait_h``) the far side of its checkpoint, the neighbour's exit control, by name
    where the map pack gives one."""
    name = facility_label(gap["facility"], lang, ref, summary)
    if gap["metric"] != "far_wait_h":
        return name
    fid = gap["facility"]
    places = ref.checkpoints.loc[ref.checkpoints.index == fid].to_dict("records")
    partner = partner_name(places[0], lang) if places else None
    if partner is None:
        return t("gaps.far_side", lang, checkpoint=name)
    return t("gaps.far_side_partner", lang, checkpoint=name, partner=partner)
