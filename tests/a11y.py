"""axe-core in a Playwright page: the WCAG 2.2 AA rules (axe's wcag2a/aa, wcag21a/aa and wcag22aa
tags). axe-core comes from npm (.ci/setup test installs it under .ci/npm, outside git)."""
from __future__ import annotations

from pathlib import Path

AXE = Path(__file__).resolve().parent.parent / ".ci" / "npm" / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def axe_violations(page) -> list[dict]:
    """axe's WCAG 2.2 AA violations on ``page`` (its context must bypass CSP to inject axe)."""
    if not AXE.exists():
        raise RuntimeError(f"axe-core is missing at {AXE}: run .ci/setup test (it npm-installs it).")
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})",
                           WCAG_TAGS)
    return result["violations"]


def describe(violations: list[dict]) -> str:
    """A readable summary: rule, impact, and the first few offending nodes."""
    lines = []
    for v in violations:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']} [{len(v['nodes'])} nodes]")
        for node in v["nodes"][:4]:
            lines.append(f"    {node['target']}: {node['failureSummary'][:300]}")
    return "\n".join(lines)


def horizontal_overflow(page) -> int:
    """How many CSS px the page scrolls sideways (0 when it reflows)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
