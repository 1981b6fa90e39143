#!/usr/bin/env bash
# Make sure Open vSwitch runs, without systemd; safe to run again.
#
# Kernel datapath when the openvswitch module loads; otherwise OVS's userspace
# (netdev) datapath with userspace TSO, without which TCP over veth stalls.
set -euo pipefail

say() { printf 'ovs-start: %s\n' "$*"; }
die() { printf 'ovs-start: error: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root"
ovs_ctl=/usr/share/openvswitch/scripts/ovs-ctl
[ -x "$ovs_ctl" ] || die "Open vSwitch is not installed (openvswitch-switch)"
vswitchd_up() { ovs-appctl -t ovs-vswitchd version >/dev/null 2>&1; }
ovsdb_up() { ovs-vsctl --timeout=3 show >/dev/null 2>&1; }
wait_for() { for _ in $(seq 50); do "$@" && return 0; sleep 0.1; done; return 1; }

if modprobe openvswitch 2>/dev/null || [ -d /sys/module/openvswitch ]; then
  datapath=kernel
else
  datapath=userspace
fi

if ! ovsdb_up; then
  "$ovs_ctl" --no-ovs-vswitchd start --system-id=random >/dev/null 2>&1 || true
  wait_for ovsdb_up || die "ovsdb-server does not start (see /var/log/openvswitch/ovsdb-server.log)"
fi

restart=no
if [ "$datapath" = userspace ] &&
   [ "$(ovs-vsctl get Open_vSwitch . other_config:userspace-tso-enable 2>/dev/null)" != '"true"' ]; then
  ovs-vsctl set Open_vSwitch . other_config:userspace-tso-enable=true
  restart=yes  # vswitchd reads the setting only when it starts
fi
if vswitchd_up && [ "$restart" = yes ]; then
  ovs-appctl -t ovs-vswitchd exit >/dev/null 2>&1 || true
  wait_for eval '! vswitchd_up' || true
fi
if ! vswitchd_up; then
  # The stock script refuses to start vswitchd when it cannot load the kernel
  # module; the userspace datapath needs none, so then start vswitchd directly.
  "$ovs_ctl" --no-ovsdb-server start --system-id=random >/dev/null 2>&1 ||
    ovs-vswitchd unix:/var/run/openvswitch/db.sock --pidfile --detach \
      --log-file=/var/log/openvswitch/ovs-vswitchd.log >/dev/null 2>&1 || true
  wait_for vswitchd_up || die "ovs-vswitchd does not start (see /var/log/openvswitch/ovs-vswitchd.log)"
  say "started ovs-vswitchd"
fi
version=$(ovs-vsctl --version | head -1 | awk '{print $NF}')
if [ "$datapath" = userspace ]; then
  say "Open vSwitch $version: no kernel module, userspace datapath with userspace TSO"
else
  say "Open vSwitch $version: kernel datapath"
fi
