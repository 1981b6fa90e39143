#!/usr/bin/env bash
# The test suite inside a VM (Vagrant, the Mininet VM) or on any provisioned machine:
#   sudo vm/run-tests.sh [pytest arguments]
# Starts Open vSwitch if needed (kernel datapath when the module loads), runs the
# suite, and says where the evidence of failed lab tests is.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
evidence=/tmp/vmnetlab-tests

[ "$(id -u)" -eq 0 ] || { echo "run-tests: error: run as root (sudo $0)" >&2; exit 1; }
[ -x "$here/.venv/bin/python" ] || { echo "run-tests: error: not provisioned: run sudo vm/provision.sh" >&2; exit 1; }

bash "$here/vm/ovs-start.sh"
cd "$here"
status=0
"$here/.venv/bin/python" -m pytest -ra --basetemp="$evidence" "$@" || status=$?
if [ "$status" -ne 0 ]; then
  echo "run-tests: failures; each lab test's run folder (flows, controller log, leases) is under $evidence"
fi
exit "$status"
