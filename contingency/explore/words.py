"""An exploration in plain words, in ru, kk or en: inputs named as a planner knows them
(the place, then what the number is), and each discovery box as a sentence:
"Zhibek Zholy goes red when Zhibek Zholy: persons arriving > 190,000 (1.19× the mode) ..."."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contingency.i18n import catalogue, t
from contingency.i18n.messages import spell_number
from contingency.mapping.names import facility_label
from contingency.refdata import RefData


def _num(x: float, lang: str) -> str:
    digits = 0 if abs(x) >= 100 else 2
    return spell_number(round(x, digits) if digits else round(x), lang)


def input_label(field: str, lang: str, ref: RefData) -> str:
    """A ranged field (``checkpoint_overrides.zhibek_zholy.processing.car.min_per_vehicle``)
    in words: the place it is at, what it is, the mode and side where they matter."""
    parts = field.split(".")
    known = catalogue(lang)
    place = next((p for p in parts if p in ref.checkpoints.index or p in ref.centres.index), None)
    what = parts[-1]
    mode = None
    if len(parts) >= 2 and parts[-2] == "lanes":
        what, mode = "lanes", parts[-1]
    elif what in ("min_per_vehicle", "min_per_person") and len(parts) >= 2:
        mode = parts[-2]
    text = t(f"explore.input.{what}", lang) if f"explore.input.{what}" in known else what
    if mode is not None and f"mode.{mode}" in known:
        text += f" ({t(f'mode.{mode}', lang)})"
    if "far_side" in parts:
        text += f", {t('explore.far_side', lang)}"
    if place is not None:
        text = f"{facility_label(place, lang, ref, {})}: {text}"
    return text


def condition_text(
    cond: Mapping[str, Any], info: Mapping[str, Any], lang: str, ref: RefData
) -> str:
    """One condition of a box: the input above, below or between values, with the ratio of
    a bound to the input's mode where it has one."""
    name = input_label(str(info.get("field", cond["input"])), lang, ref)
    centre = info.get("mode")
    if centre is None and "low" in info and "high" in info:
        centre = (info["low"] + info["high"]) / 2

    def bound(x: float) -> str:
        if not centre:
            return _num(x, lang)
        return t("explore.times_mode", lang, value=_num(x, lang), ratio=_num(x / centre, lang))

    low_cut = cond["low"] > cond["range_low"]
    high_cut = cond["high"] < cond["range_high"]
    if low_cut and not high_cut:
        return t("explore.above", lang, input=name, value=bound(cond["low"]))
    if high_cut and not low_cut:
        return t("explore.below", lang, input=name, value=bound(cond["high"]))
    return t("explore.between", lang, input=name, low=bound(cond["low"]), high=bound(cond["high"]))


def box_text(box: Mapping[str, Any], inputs: Mapping[str, Any], lang: str, ref: RefData) -> str:
    """A discovery box as a sentence (``inputs``: the summary's ``inputs``)."""
    conditions = f" {t('explore.and', lang)} ".join(
        condition_text(c, inputs.get(c["input"], {}), lang, ref) for c in box["conditions"]
    )
    return t(
        "explore.box",
        lang,
        facility=facility_label(str(box["facility"]), lang, ref, {}),
        conditions=conditions,
        coverage=_num(box["coverage"], lang),
        density=_num(box["density"], lang),
    )


def _top(indices: Mapping[str, Mapping[str, float]], n: int = 3) -> list[tuple[str, float]]:
    """The ``n`` inputs with the largest total-order index (or score)."""
    scored = [(name, float(v.get("ST", v.get("score", 0.0)))) for name, v in indices.items()]
    return sorted(scored, key=lambda x: -x[1])[:n]


def report_lines(summary: Mapping[str, Any], lang: str, ref: RefData) -> list[str]:
    """What ``explore`` prints: runs completed, each box in words, the inputs that drive the
    total red-gap person-hours, the reserves ranking."""
    s = summary
    lines = [f"{s['scenario']}: {s['completed']} of {s['runs']} runs completed ({s['method']})"]
    inputs = s["inputs"]
    if s["discovery"]:
        lines += [f"  {box_text(b, inputs, lang, ref)}" for b in s["discovery"]]
    else:
        lines.append(f"  {t('explore.discovery_none', lang)}")
    total = s["sensitivity"].get("red_person_hours")
    if total:
        key = "ST" if s["sensitivity_method"] == "sobol" else "score"
        drivers = ", ".join(f"{name} ({key} {v:.2f})" for name, v in _top(total))
        lines.append(f"  red-gap person-hours driven by: {drivers} ({s['sensitivity_method']})")
    if "reserves" in s:
        rv = s["reserves"]
        lines.append(
            f"  reserves over the same {rv['samples']} samples ({rv['runs']} runs), "
            "red person-hours removed per sample:"
        )
        lines += [
            f"    {r['reserve']:<24}cost {r['cost']:>8,.0f}  removes {r['removed_mean']:>12,.0f}"
            f"  per cost {r['removed_per_cost']:>10,.1f}"
            for r in rv["ranking"]
        ]
        removed = rv["package_removed_mean"]
        lines.append(
            f"  package within {rv['budget']:,.0f}: {', '.join(rv['package']) or 'nothing helps'}"
            f" (cost {rv['package_cost']:,.0f}"
            + (f", removes {removed:,.0f} per sample)" if removed is not None else ")")
        )
    return lines
