from os_ken.controller.ofp_event import *  # noqa: F401,F403
