from os_ken.ofproto.ofproto_v1_3 import *  # noqa: F401,F403
