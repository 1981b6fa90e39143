#!/usr/bin/env bash
# Prints the path of a Python 3.8 (the Mininet 2.3.0 VM's own, /usr/bin/python3.8, pyenv's,
# or one on PATH), or nothing where there is none. Ryu 4.34 and the Mininet VM's tests run
# on it: vm/provision.sh, vm/unit-plain.sh and vm/lab-py38.sh ask here.
set -uo pipefail
for candidate in /usr/bin/python3.8 "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.8.*/bin/python \
                 "$(command -v python3.8 || true)"; do
  if [ -n "$candidate" ] && [ -x "$candidate" ] &&
     "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 8))' 2>/dev/null; then
    echo "$candidate"
    exit 0
  fi
done
exit 0
