from os_ken.lib.hub import *  # noqa: F401,F403
