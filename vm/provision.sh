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
case "${ID}:${VERSION_ID:-}" in
  debian:12 | debian:13 | ubuntu:22.04 | ubuntu:24.04 | ubuntu:2[4-9].*) ;;
  *) die "unsupported system ${PRETTY_NAME:-$ID}: vmnetlab supports Debian 12+ and Ubuntu 22.04+ (the Mininet VM: see vm/README.md)" ;;
esac

# --- Debian packages ----------------------------------------------------------
packages=(
  mininet openvswitch-switch    # the lab: namespaces, links, switches
  python3-os-ken                # the controller framework (Ryu's maintained fork)
  python3-venv                  # the project's venv on top of /usr/bin/python3
  iperf3 socat                  # traffic: throughput, TCP/UDP probes
  dnsmasq-base udhcpc           # DHCP server and client in the lab's nodes
  iptables                      # r1's masquerade and firewall, in r1's namespace only
  iputils-ping ethtool tcpdump iproute2 procps
  graphviz                      # vmnet diagram
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
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
  "$venv/bin/pip" install -q --disable-pip-version-check -e "$here[test]"
  echo "$want" >"$stamp"
  say "installed the project into $venv (vmnet, pytest, ruff)"
else
  say "project already installed in $venv"
fi

# --- Open vSwitch -------------------------------------------------------------
ovs_ctl=/usr/share/openvswitch/scripts/ovs-ctl
vswitchd_up() { ovs-appctl -t ovs-vswitchd version >/dev/null 2>&1; }
ovsdb_up() { ovs-vsctl --timeout=3 show >/dev/null 2>&1; }

if modprobe openvswitch 2>/dev/null || [ -d /sys/module/openvswitch ]; then
  datapath=kernel
else
  datapath=userspace
fi

if ! ovsdb_up; then
  "$ovs_ctl" --no-ovs-vswitchd start --system-id=random >/dev/null 2>&1 || true
  ovsdb_up || die "ovsdb-server does not start (see /var/log/openvswitch/ovsdb-server.log)"
fi

restart=no
if [ "$datapath" = userspace ]; then
  # Without userspace TSO, TCP over veth through the netdev datapath stalls.
  if [ "$(ovs-vsctl get Open_vSwitch . other_config:userspace-tso-enable 2>/dev/null)" != '"true"' ]; then
    ovs-vsctl set Open_vSwitch . other_config:userspace-tso-enable=true
    restart=yes
  fi
fi
if vswitchd_up && [ "$restart" = yes ]; then
  ovs-appctl -t ovs-vswitchd exit >/dev/null 2>&1 || true
  for _ in $(seq 50); do vswitchd_up || break; sleep 0.1; done
fi
if ! vswitchd_up; then
  # The stock script refuses to start vswitchd when it cannot load the kernel
  # module; the userspace datapath needs no module, so start it directly then.
  "$ovs_ctl" --no-ovsdb-server start --system-id=random >/dev/null 2>&1 ||
    ovs-vswitchd unix:/var/run/openvswitch/db.sock --pidfile --detach \
      --log-file=/var/log/openvswitch/ovs-vswitchd.log >/dev/null 2>&1 || true
  for _ in $(seq 50); do vswitchd_up && break; sleep 0.1; done
  vswitchd_up || die "ovs-vswitchd does not start (see /var/log/openvswitch/ovs-vswitchd.log)"
  say "started ovs-vswitchd"
fi
if [ "$datapath" = userspace ]; then
  say "Open vSwitch $(ovs-vsctl --version | head -1 | awk '{print $NF}'): no kernel module, userspace datapath with userspace TSO"
else
  say "Open vSwitch $(ovs-vsctl --version | head -1 | awk '{print $NF}'): kernel datapath"
fi
say "ready: $venv/bin/vmnet; tests: $venv/bin/python -m pytest"
