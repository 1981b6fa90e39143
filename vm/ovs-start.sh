#!/usr/bin/env bash
# Make sure Open vSwitch runs, without systemd; safe to run again.
#
# Kernel datapath when the openvswitch module loads; otherwise OVS's userspace
# (netdev) datapath with userspace TSO, without which TCP over veth stalls.
#
# Works from any state: OVS installed but never run (no database yet), stopped,
# or its daemons killed (stale pid files). Nothing here waits on ovs-vswitchd
# before it runs: every ovs-vsctl call either has --no-wait or a --timeout.
#
# The folders come from OVS's own variables (OVS_DBDIR, OVS_RUNDIR, OVS_LOGDIR,
# OVS_SYSCONFDIR), so a private instance can be started beside the machine's
# (tests/unit/test_ovs_start.py does).
set -euo pipefail

say() { printf 'ovs-start: %s\n' "$*"; }
die() { printf 'ovs-start: error: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root"
ovs_ctl=${OVS_CTL:-/usr/share/openvswitch/scripts/ovs-ctl}
[ -x "$ovs_ctl" ] || die "Open vSwitch is not installed (openvswitch-switch)"

rundir=${OVS_RUNDIR:-/var/run/openvswitch}
logdir=${OVS_LOGDIR:-/var/log/openvswitch}
# ovs-vsctl and ovs-appctl find the daemons through OVS_RUNDIR themselves; the
# database socket is named explicitly so that no default can point elsewhere.
vsctl() { ovs-vsctl --db="unix:$rundir/db.sock" --timeout=5 "$@"; }
vswitchd_up() { ovs-appctl --timeout=3 -t "$rundir/ovs-vswitchd.$(cat "$rundir/ovs-vswitchd.pid" 2>/dev/null).ctl" version >/dev/null 2>&1; }
ovsdb_up() { vsctl --no-wait show >/dev/null 2>&1; }
# Polling with a deadline: up to 20 s in steps of 0.1 s.
wait_for() { for _ in $(seq 200); do "$@" && return 0; sleep 0.1; done; return 1; }
vswitchd_down() { ! vswitchd_up; }
# A killed daemon leaves its pid file, and on a machine whose init does not reap
# orphans, a zombie under that PID: ovs-ctl would take either for a running daemon.
clear_stale_pidfile() {
  local pidfile="$rundir/$1.pid" pid state
  pid=$(cat "$pidfile" 2>/dev/null) || return 0
  state=$(awk '/^State:/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
  if [ -z "$state" ] || [ "$state" = Z ]; then
    rm -f "$pidfile"
  fi
}

if [ -n "${OVS_DATAPATH:-}" ]; then
  datapath=$OVS_DATAPATH  # a test's private instance chooses
elif modprobe openvswitch 2>/dev/null || [ -d /sys/module/openvswitch ]; then
  datapath=kernel
else
  datapath=userspace
fi

mkdir -p "$rundir" "$logdir"
if ! ovsdb_up; then
  clear_stale_pidfile ovsdb-server
  # Creates the database on first use; ignores a stale pid file of a killed daemon.
  "$ovs_ctl" --no-ovs-vswitchd start --system-id=random >"$logdir/ovs-start.out" 2>&1 || true
  wait_for ovsdb_up || die "ovsdb-server does not start (see $logdir/ovsdb-server.log, $logdir/ovs-start.out)"
  say "started ovsdb-server"
fi

restart=no
if [ "$datapath" = userspace ] &&
   [ "$(vsctl --no-wait get Open_vSwitch . other_config:userspace-tso-enable 2>/dev/null)" != '"true"' ]; then
  # --no-wait: ovs-vswitchd may not run yet, and would never acknowledge the change.
  vsctl --no-wait set Open_vSwitch . other_config:userspace-tso-enable=true
  restart=yes  # vswitchd reads the setting only when it starts
fi
if [ "$restart" = yes ] && vswitchd_up; then
  ovs-appctl --timeout=5 -t "$rundir/ovs-vswitchd.$(cat "$rundir/ovs-vswitchd.pid").ctl" exit >/dev/null 2>&1 || true
  wait_for vswitchd_down || die "ovs-vswitchd does not stop for its restart"
fi
if ! vswitchd_up; then
  clear_stale_pidfile ovs-vswitchd
  if [ "$datapath" = kernel ]; then
    "$ovs_ctl" --no-ovsdb-server start --system-id=random >>"$logdir/ovs-start.out" 2>&1 || true
  else
    # The stock script refuses to start vswitchd when it cannot load the kernel
    # module; the userspace datapath needs none, so start vswitchd directly.
    ovs-vswitchd "unix:$rundir/db.sock" --pidfile="$rundir/ovs-vswitchd.pid" --detach \
      --no-chdir -vconsole:emer -vsyslog:err -vfile:info \
      --log-file="$logdir/ovs-vswitchd.log" >>"$logdir/ovs-start.out" 2>&1 || true
  fi
  wait_for vswitchd_up || die "ovs-vswitchd does not start (see $logdir/ovs-vswitchd.log)"
  say "started ovs-vswitchd"
fi
# vswitchd has read the database when `sync` returns: the switch answers, not just the database.
next_cfg=$(vsctl --no-wait get Open_vSwitch . next_cfg)
vsctl wait-until Open_vSwitch . "cur_cfg{>=}$next_cfg" || die "ovs-vswitchd does not answer the database (see $logdir/ovs-vswitchd.log)"
version=$(ovs-vsctl --version | head -1 | awk '{print $NF}')
if [ "$datapath" = userspace ]; then
  say "Open vSwitch $version: no kernel module, userspace datapath with userspace TSO"
else
  say "Open vSwitch $version: kernel datapath"
fi
