#!/usr/bin/env bash
# One lab on the Mininet VM's Python: `vmnet check nat` run by Python 3.8 with PyPI's
# Mininet 2.3.0 (mininet==2.3.0.dev6), as in the Mininet 2.3.0 VM the design runs the tests in.
#   sudo vm/lab-py38.sh [vmnet check arguments]       (default: nat)
# Uses the venv of vm/unit-plain.sh (.venv-py38: pytest, Mininet 2.3.0) and installs the
# project into it (editable, no dependencies: the lab itself needs only Mininet). The
# controller is Ryu 4.34 on Python 3.8 (.venv-ryu's ryu-manager) where vm/provision.sh made
# it, else whichever manager the lab finds; VMNET_MANAGER names another.
# Where no Python 3.8 exists it says so and exits 0. Safe to run again; needs root; runs one
# lab, so run it where no other lab runs. Fails (exit 1) when a claim does not hold.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv="$here/.venv-py38"
say() { printf 'lab-py38: %s\n' "$*"; }
die() { printf 'lab-py38: error: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root (sudo $0): the lab needs it"
py38=$(bash "$here/vm/python38.sh")
if [ -z "$py38" ]; then
  say "skipped: no Python 3.8 here (/usr/bin/python3.8 or pyenv's): the lab on the Mininet VM's Python is not run"
  exit 0
fi
command -v mnexec >/dev/null || die "mnexec not found: run vm/provision.sh (Debian's mininet package has it)"

# --- the venv: Python 3.8, Mininet 2.3.0 from PyPI, pytest, and the project ----------
[ -x "$venv/bin/python" ] || { "$py38" -m venv "$venv"; say "created $venv with $py38"; }
pip=("$venv/bin/pip" install -q --disable-pip-version-check)
"${pip[@]}" pytest mininet==2.3.0.dev6
# Reinstall the project only when setup.py changed (or vmnet is missing).
stamp="$venv/.vmnetlab-setup.sha"
want=$(sha256sum "$here/setup.py" | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ] || [ ! -x "$venv/bin/vmnet" ]; then
  "${pip[@]}" --no-deps -e "$here"
  echo "$want" >"$stamp"
  say "installed the project into $venv (editable: vmnet runs this working tree)"
fi

# --- what runs, then the lab ----------------------------------------------------------
bash "$here/vm/ovs-start.sh"
args=("$@")
[ ${#args[@]} -gt 0 ] || args=(nat)
cd /  # nothing imported from the working directory: the venv's vmnet finds the project
say "$("$venv/bin/python" --version), Mininet $("$venv/bin/python" -c 'import mininet.net as n; print(n.VERSION)'), vmnet from $("$venv/bin/python" -c 'import topos, os; print(os.path.dirname(os.path.dirname(topos.__file__)))')"
# The Mininet VM's controller too: Ryu 4.34 on Python 3.8 (vm/provision.sh makes .venv-ryu)
if [ -z "${VMNET_MANAGER:-}" ] && [ -x "$here/.venv-ryu/bin/ryu-manager" ]; then
  export VMNET_MANAGER="$here/.venv-ryu/bin/ryu-manager"
fi
say "controller: $("$venv/bin/python" -c 'from topos.run.controller_node import find_manager; print(find_manager())') (VMNET_MANAGER picks another)"
say "running: $venv/bin/vmnet check ${args[*]}"
start=$(date +%s)
status=0
"$venv/bin/vmnet" check "${args[@]}" || status=$?
took=$(( $(date +%s) - start ))
if [ "$status" -eq 0 ]; then
  say "passed: vmnet check ${args[*]} held every claim on Python 3.8 + Mininet 2.3.0 (${took}s)"
else
  say "FAILED (exit $status): vmnet check ${args[*]} on Python 3.8 + Mininet 2.3.0 (${took}s): see above (a lab whose claims fail keeps its run folder and names it)"
fi
exit "$status"
