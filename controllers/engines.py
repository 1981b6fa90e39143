"""The NAT engines a virtual router may be given, by the name its configuration uses
(controllers.config.RouterConfig.engine): the one table of their names. Pure Python."""

from controllers.conntrack_nat import ConntrackNat
from controllers.openflow_nat import OpenFlowNat

ENGINES = {
    "openflow": OpenFlowNat,  # the controller translates; each session has its pair of flows
    "conntrack": ConntrackNat,  # Open vSwitch's connection tracker translates
}
DEFAULT_ENGINE = "openflow"  # a router's unless its configuration names another
