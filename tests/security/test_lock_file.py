"""Supply chain: every dependency pyproject.toml declares (runtime and dev) is pinned in requirements.lock with sha256
hashes, and the Makefile installs from that lock only. A dependency added without `make lock` fails here."""

from __future__ import annotations

import re
import tomllib
from functools import cache
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

REPO = Path(__file__).resolve().parents[2]
LOCK = REPO / "requirements.lock"
PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>\S+?)\s*(?:\\)?$")
HASH = re.compile(r"^\s+--hash=sha256:[0-9a-f]{64}\s*(?:\\)?$")


@cache
def locked() -> dict[str, tuple[Version, int]]:
    """Each pinned package's version and how many sha256 hashes it has."""
    pins: dict[str, tuple[Version, int]] = {}
    current: str | None = None
    for number, line in enumerate(LOCK.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if match := PIN.match(line):
            current = canonicalize_name(match["name"])
            pins[current] = (Version(match["version"]), 0)
        elif HASH.match(line) and current:
            version, hashes = pins[current]
            pins[current] = (version, hashes + 1)
        else:
            pytest.fail(f"{LOCK.name} line {number} is neither a pin nor a sha256 hash: {line!r}")
    return pins


def declared() -> list[Requirement]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return [Requirement(r) for r in [*project["dependencies"], *project["optional-dependencies"]["dev"]]]


def test_every_locked_package_has_a_pin_and_a_hash() -> None:
    pins = locked()
    assert len(pins) > 100
    assert [name for name, (_, hashes) in pins.items() if hashes == 0] == []


@pytest.mark.parametrize("requirement", declared(), ids=str)
def test_each_declared_dependency_is_locked_within_its_range(requirement: Requirement) -> None:
    pins = locked()
    name = canonicalize_name(requirement.name)
    assert name in pins, f"{requirement} is in pyproject.toml but not in {LOCK.name}: run `make lock`"
    version, hashes = pins[name]
    assert requirement.specifier.contains(version, prereleases=True), (
        f"{LOCK.name} pins {name}=={version}, outside pyproject.toml's {requirement}: run `make lock`"
    )
    assert hashes >= 1


def test_the_platform_pins_are_locked() -> None:
    """torch is the CPU wheel (a CUDA build would pull nvidia packages); llama-cpp-python its hashed sdist."""
    pins = locked()
    assert str(pins["torch"][0]).endswith("+cpu")
    assert not [name for name in pins if name.startswith("nvidia-")]
    assert "llama-cpp-python" in pins


def test_the_makefile_installs_from_the_lock_with_hashes() -> None:
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    install = makefile.split("$(INSTALLED):", 1)[1].split("\n\n", 1)[0]
    assert "$(LOCK)" in install.splitlines()[0]  # a changed lock reinstalls
    assert "--require-hashes -r $(LOCK)" in install and "--no-deps -e ." in install
    assert "CMAKE_ARGS=" in install and "pip install" in install
    assert not re.search(r"pip install[^\n]*(?:'\.\[|-e \.\[)", install)  # nothing resolved outside the lock
    assert "\nlock:" in makefile and "--generate-hashes" in makefile
