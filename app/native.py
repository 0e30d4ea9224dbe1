"""The decision core compiled with mypyc, used only when it was built from these very sources.

`make native` (deploy/build_native.py) compiles MODULES, the pure and typed rules, into C
extensions under app/rules/_compiled/ (one per module plus their shared library
`app.rules.native__mypyc`) with a manifest holding the sha256 of each source it compiled and the
interpreter's extension suffix. When the package is imported, `use_if_current` puts
app/rules/_compiled/ ahead of app/rules/ on `app.rules.__path__`, so `import app.rules.core`
loads the extension,
but only if the manifest matches every source as it is now. An edited module, a missing or
partial build, another interpreter, or SENDGUARD_NATIVE=0 in the environment means none of
them is used: all or nothing, because compiled modules call each other directly (a compiled
core would keep calling the compiled caps of before an edit). The pure-Python modules are the
reference: the compiled ones decide byte-identically (benchmarks/core_identity.py checks it).

Compiled code checks the declared types of what it is passed at run time, where Python does
not: a value of the wrong type that a pure module would carry along raises TypeError there.
The rules only receive the worker's own envelopes and states, whose types are as declared.
"""

from __future__ import annotations

import hashlib
import json
import os
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path

# The modules compiled, all or none: the rules and everything they import from app.
MODULES = ("caps", "consent", "content", "core", "phones", "policy", "quiet", "records",
           "replies", "replies_intl", "replies_world", "reply_model", "routing", "t2s", "textnorm")
GROUP = "app.rules.native"  # mypyc's group name: its shared library is app.rules.native__mypyc
RULES_DIR = Path(__file__).resolve().parent / "rules"
COMPILED_DIR = RULES_DIR / "_compiled"
MANIFEST = "manifest.json"
DISABLE_ENV = "SENDGUARD_NATIVE"  # "0": never use the compiled modules

ACTIVE = False  # whether this process imports the compiled modules


def source_digests(app_dir: Path) -> dict[str, str]:
    """sha256 of each compiled module's source as it is in `app_dir` now."""
    return {name: hashlib.sha256((app_dir / f"{name}.py").read_bytes()).hexdigest()
            for name in MODULES}


def compiled_files(suffix: str = EXTENSION_SUFFIXES[0]) -> list[str]:
    """The extension files a build holds: one per module, and mypyc's shared library."""
    return [f"{name}{suffix}" for name in (*MODULES, GROUP.rpartition(".")[2] + "__mypyc")]


def current_build(compiled_dir: Path = COMPILED_DIR) -> bool:
    """Whether `compiled_dir` holds a complete build of the sources next to it, for this
    interpreter."""
    try:
        manifest = json.loads((compiled_dir / MANIFEST).read_text(encoding="utf-8"))
        return (manifest.get("suffix") == EXTENSION_SUFFIXES[0]
                and manifest.get("sources") == source_digests(compiled_dir.parent)
                and sorted(manifest.get("files", ())) == sorted(compiled_files())
                and all((compiled_dir / name).is_file() for name in manifest["files"]))
    except (OSError, ValueError, TypeError, AttributeError):
        return False


def use_if_current(package_path: list[str]) -> bool:
    """Put the compiled modules first on the package's path if they are current (see above)."""
    global ACTIVE
    if os.environ.get(DISABLE_ENV, "1") != "0" and current_build():
        package_path.insert(0, str(COMPILED_DIR))
        ACTIVE = True
    return ACTIVE
