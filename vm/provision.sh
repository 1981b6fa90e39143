#!/usr/bin/env bash
# Provision a Debian 12 / Ubuntu 22.04+ machine for vmnetlab; safe to run again.
#
# Installs the lab's Debian packages, makes the project's venv (.venv, on top of
# /usr/bin/python3 so that Debian's mininet and os-ken are importable), installs
# the project into it, and makes sure Open vSwitch runs - without systemd, and on
# the userspace datapath with userspace TSO when the kernel module is missing.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv="$here/.venv"

say() { printf 'provision: %s\n' "$*"; }
die() { printf 'provision: error: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root (sudo $0)"

# --- which distribution -------------------------------------------------------
# shellcheck disable=SC1091
. /etc/os-release
framework=os-ken
case "${ID}:${VERSION_ID:-}" in
  debian:12 | debian:13 | ubuntu:22.04 | ubuntu:2[4-9].*) ;;
  ubuntu:20.04)
    # The Mininet 2.3.0 VM: Mininet is installed from source for Python 3.8 already,
    # and Ryu 4.34 runs there (os-ken is not packaged for 20.04).
    if ! { command -v mn >/dev/null && /usr/bin/python3 -c 'import mininet' 2>/dev/null; }; then
      die "Ubuntu 20.04 is supported as the Mininet 2.3.0 VM only (Mininet not found); see vm/README.md"
    fi
    framework=ryu ;;
  *) die "unsupported system ${PRETTY_NAME:-$ID}: vmnetlab supports Debian 12+, Ubuntu 22.04+ and the Mininet 2.3.0 VM (see vm/README.md)" ;;
esac

# --- Debian packages ----------------------------------------------------------
packages=(
  openvswitch-switch            # the lab's switches
  python3-venv                  # the project's venv on top of /usr/bin/python3
  iperf3 socat                  # traffic: throughput, TCP/UDP probes
  stun-client stun-server       # what kind of NAT each one is (RFC 3489 classes)
  dnsmasq-base udhcpc           # DHCP server and client in the lab's nodes (dnsmasq: r1's DNS)
  busybox                       # its tftp: a guest's PXE fetch (udhcpc needs it too)
  nsd dnsutils dnsperf          # inet's authoritative name server; dig; DNS queries/s
  iptables                      # r1's masquerade and firewall, in r1's namespace only
  iputils-ping ethtool tcpdump iproute2 procps
  graphviz                      # vmnet diagram
  shellcheck ruby               # checks the test suite runs on vm/ (scripts, Vagrantfile)
)
if [ "$framework" = os-ken ]; then
  packages+=(mininet python3-os-ken)  # Mininet, and Ryu's maintained fork
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  # Installing a server package starts it in the machine's own namespace (nsd on port 53);
  # the lab runs its servers in its nodes only. Debian's policy-rc.d says "not now".
  guard=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    guard=/usr/sbin/policy-rc.d
    trap 'rm -f "$guard"' EXIT  # gone however this ends
    printf '#!/bin/sh\nexit 101\n' >"$guard" && chmod +x "$guard"
  fi
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
  [ -z "$guard" ] || { rm -f "$guard"; trap - EXIT; }
else
  say "Debian packages: all present"
fi

# --- the project's venv -------------------------------------------------------
if [ ! -x "$venv/bin/python" ]; then
  /usr/bin/python3 -m venv --system-site-packages "$venv"
  say "created $venv"
fi
# Reinstall only when setup.py changed since the last install.
stamp="$venv/.vmnetlab-setup.sha"
want=$(sha256sum "$here/setup.py" | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ] || ! "$venv/bin/python" -c 'import topos, controllers' 2>/dev/null; then
  if [ "$framework" = ryu ]; then
    # The combination known to work on Python 3.8; Ryu's setup needs an older setuptools.
    "$venv/bin/pip" install -q --disable-pip-version-check 'setuptools<68'
    "$venv/bin/pip" install -q --disable-pip-version-check --no-build-isolation ryu==4.34 eventlet==0.30.2
  fi
  "$venv/bin/pip" install -q --disable-pip-version-check -e "${here}[test]"
  echo "$want" >"$stamp"
  say "installed the project into $venv (vmnet, pytest, ruff)"
else
  say "project already installed in $venv"
fi

# --- the real Ryu, beside os-ken ---------------------------------------------
# Ryu 4.34 runs on Python 3.8 only (eventlet); where one is found (the Mininet VM's own,
# or pyenv's), a second environment holds it, so that the app is tested under the real
# ryu-manager too (tests/lab/test_real_ryu.py).
ryu_venv="$here/.venv-ryu"
if [ "$framework" = os-ken ]; then
  py38=$(bash "$here/vm/python38.sh")
  if [ -n "$py38" ] && [ ! -x "$ryu_venv/bin/ryu-manager" ]; then
    if "$py38" -m venv "$ryu_venv" &&
       "$ryu_venv/bin/pip" install -q --disable-pip-version-check wheel 'setuptools<68' &&
       "$ryu_venv/bin/pip" install -q --disable-pip-version-check --no-build-isolation \
         ryu==4.34 eventlet==0.30.2; then
      say "made $ryu_venv with Ryu 4.34 on $py38"
    else
      rm -rf "$ryu_venv"  # the lab and os-ken do not need it; its test says it skipped
      say "warning: could not install Ryu 4.34 with $py38; continuing without it"
    fi
  elif [ -z "$py38" ]; then
    say "no Python 3.8 here: no Ryu environment (its lab test will say it skipped)"
  fi
fi

# --- Open vSwitch -------------------------------------------------------------
bash "$here/vm/ovs-start.sh"
say "controller framework: $framework; ready: $venv/bin/vmnet; tests: $venv/bin/python -m pytest"
