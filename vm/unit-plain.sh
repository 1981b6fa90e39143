#!/usr/bin/env bash
# The unit tests on plain Pythons, so that they keep running where the lab's packages are
# missing: a venv without the system's packages (pytest only: what needs Mininet or os-ken
# skips with its reason), and, where a Python 3.8 is found (pyenv's), the Mininet VM's
# Python 3.8 with PyPI's Mininet 2.3.0. Safe to run again; needs no root.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
say() { printf 'unit-plain: %s\n' "$*"; }

unit_tests() {  # VENV PYTHON [PACKAGES...]
  local venv=$1 python=$2
  shift 2
  [ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check pytest "$@"
  say "$("$venv/bin/python" --version) ($venv): tests/unit"
  (cd "$here" && "$venv/bin/python" -m pytest -q -p no:cacheprovider -o addopts= tests/unit)
}

unit_tests "$here/.venv-plain" /usr/bin/python3
py38=$(bash "$here/vm/python38.sh")
if [ -n "$py38" ]; then
  unit_tests "$here/.venv-py38" "$py38" mininet==2.3.0.dev6
else
  say "no Python 3.8 here: the Mininet VM's Python is not tried"
fi
