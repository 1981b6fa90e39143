"""Which controller framework is loading us: Ryu or os-ken.

`ryu-manager` only finds apps that subclass ryu's RyuApp, `osken-manager` only
those that subclass os-ken's OSKenApp, so the app must use whichever framework
has imported it. Both expose the same API under different package names.
"""

import functools
import importlib
import sys
from types import SimpleNamespace

FRAMEWORKS = ("os_ken", "ryu")  # preferred order when neither is loaded yet
APP_CLASS = {"os_ken": "OSKenApp", "ryu": "RyuApp"}


def pick(modules=None):
    """The framework already running in this process, else the first one importable."""
    modules = sys.modules if modules is None else modules
    for probe in ("cmd.manager", "base.app_manager"):
        for name in FRAMEWORKS:
            if "%s.%s" % (name, probe) in modules:
                return name
    for name in FRAMEWORKS:
        try:
            importlib.import_module(name)
            return name
        except ImportError:
            continue
    raise ImportError("neither os-ken nor Ryu is installed (Debian: python3-os-ken)")


def load(name=None):
    """The pieces of the framework the app needs, under one set of names."""
    name = name or pick()

    def mod(path):
        return importlib.import_module("%s.%s" % (name, path))

    app_manager = mod("base.app_manager")
    remember_addresses(mod("lib.addrconv"))
    handler = mod("controller.handler")
    mod("controller.controller")  # registers the ofp-listen-* options we adjust
    return SimpleNamespace(
        name=name,
        App=getattr(app_manager, APP_CLASS[name]),
        cfg=mod("cfg"),
        ofp_event=mod("controller.ofp_event"),
        set_ev_cls=handler.set_ev_cls,
        CONFIG_DISPATCHER=handler.CONFIG_DISPATCHER,
        MAIN_DISPATCHER=handler.MAIN_DISPATCHER,
        ofproto_v1_3=mod("ofproto.ofproto_v1_3"),
        hub=mod("lib.hub"),
    )


def remember_addresses(addrconv):
    """Memoize the framework's text-to-binary address conversion.

    Both frameworks convert every MAC and IPv4 address of a match or set-field
    through netaddr, which was a third of the controller's time per new NAT session.
    The lab uses few distinct addresses, and the conversion is a pure function.
    """
    for converter in (addrconv.mac, addrconv.ipv4):
        if not hasattr(converter.text_to_bin, "cache_info"):
            converter.text_to_bin = functools.lru_cache(maxsize=4096)(converter.text_to_bin)


def packet_lib(name=None):
    """The framework's packet library (parsing and building frames), under one set of names."""
    name = name or pick()
    base = "%s.lib.packet" % name
    names = ("packet", "ethernet", "arp", "ipv4", "icmp", "tcp", "udp", "dhcp")
    return SimpleNamespace(**{n: importlib.import_module("%s.%s" % (base, n)) for n in names})
