"""Virtual environments that reuse the locked stack already installed here.

A new venv sees this interpreter's site-packages through a plain path line in a .pth file
(whose own .pth files, the editable install among them, are not processed), so what is
installed into it (a wheel, an editable install) is the only alignn-nb it can import,
without installing torch and DGL a second time.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path


def stack_venv(root: Path) -> Path:
    """A venv under ``root`` without alignn-nb, on top of this environment's packages."""
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = next((venv / "lib").glob("python3.*/site-packages"))
    (site / "shared_stack.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return venv


def clean_env(venv: Path | None = None) -> dict[str, str]:
    """This environment without the repository on PYTHONPATH or a virtualenv marker, with
    ``venv``'s bin first on PATH when given.

    Jupyter's data files (Voila's templates, the widget extensions) live under the shared
    environment's prefix, not in site-packages, so JUPYTER_PATH points there.
    """
    drop = ("PYTHONPATH", "VIRTUAL_ENV")
    data = Path(sysconfig.get_paths()["data"]) / "share" / "jupyter"
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update(DGLBACKEND="pytorch", JUPYTER_PATH=str(data))
    if venv is not None:
        env.update(PATH=f"{venv / 'bin'}{os.pathsep}{env['PATH']}", VIRTUAL_ENV=str(venv))
    return env
