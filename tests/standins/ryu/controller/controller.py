from os_ken.controller.controller import *  # noqa: F401,F403
