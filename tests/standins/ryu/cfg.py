from os_ken.cfg import *  # noqa: F401,F403
