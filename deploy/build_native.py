"""Compile the decision core with mypyc into app/rules/_compiled/ (see app/native.py). Optional.

    .venv/bin/python deploy/build_native.py            # what `make native` runs
    .venv/bin/python deploy/build_native.py --clean    # remove the build: pure Python again

Nothing to do when app/rules/_compiled/ already holds a build of the sources as they are. Otherwise
the modules are copied to a temporary directory (so nothing is ever written next to the .py
files, where an extension would shadow its source), compiled there with mypyc's setuptools
integration, and the extensions and a manifest of the sources' sha256 are moved in as one
directory. If anything fails (no mypy, no C compiler, a type error mypyc refuses), any old
build is removed, a warning is printed and the exit status is still 0: the package then runs
its pure-Python modules, which decide the same. `--strict` exits 1 instead.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app"
RULES = APP / "rules"
sys.path.insert(0, str(ROOT))

from app.native import (  # noqa: E402
    COMPILED_DIR,
    GROUP,
    MANIFEST,
    MODULES,
    compiled_files,
    current_build,
)

_SETUP = """
import sys
from setuptools import setup
from mypyc.build import mypycify
setup(name="sendguard-native", script_args=["build_ext", "--inplace"],
      ext_modules=mypycify(sys.argv[1:], group_name={group!r}, opt_level="3"))
"""


def build() -> None:
    with tempfile.TemporaryDirectory(prefix="sendguard-native-") as tmp:
        work = Path(tmp)
        (work / "app" / "rules").mkdir(parents=True)
        (work / "app" / "__init__.py").write_text("")
        (work / "app" / "rules" / "__init__.py").write_text("")
        sources = {}
        for name in MODULES:
            text = (RULES / f"{name}.py").read_bytes()
            (work / "app" / "rules" / f"{name}.py").write_bytes(text)
            sources[name] = hashlib.sha256(text).hexdigest()
        paths = [f"app/rules/{name}.py" for name in MODULES]
        done = subprocess.run([sys.executable, "-c", _SETUP.format(group=GROUP), *paths],
                              cwd=work, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"mypyc failed:\n{done.stdout[-4000:]}{done.stderr[-4000:]}")
        suffix = EXTENSION_SUFFIXES[0]
        files = compiled_files(suffix)
        stage = Path(tempfile.mkdtemp(prefix="_compiled.", dir=RULES))
        try:
            for name in files:
                shutil.copy2(work / "app" / "rules" / name, stage / name)
            (stage / MANIFEST).write_text(json.dumps(
                {"suffix": suffix, "sources": sources, "files": files}, indent=1) + "\n")
            clean()
            stage.rename(COMPILED_DIR)
        finally:
            shutil.rmtree(stage, ignore_errors=True)


def clean() -> None:
    shutil.rmtree(COMPILED_DIR, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clean", action="store_true", help="remove the compiled modules")
    parser.add_argument("--strict", action="store_true", help="exit 1 if compiling fails")
    args = parser.parse_args()
    if args.clean:
        clean()
        return 0
    if current_build():
        print(f"native: {COMPILED_DIR.relative_to(ROOT)} is current")
        return 0
    try:
        build()
    except Exception as exc:  # the pure-Python modules are the fallback
        clean()
        print(f"native: WARNING: not compiled, the pure-Python core will run: {exc}",
              file=sys.stderr)
        return 1 if args.strict else 0
    if not current_build():  # the sources changed while compiling: do not keep the build
        clean()
        print("native: WARNING: sources changed while compiling; run it again", file=sys.stderr)
        return 1 if args.strict else 0
    print(f"native: compiled {', '.join(MODULES)} into {COMPILED_DIR.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
