from os_ken.lib.addrconv import *  # noqa: F401,F403
