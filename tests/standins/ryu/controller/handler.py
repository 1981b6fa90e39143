from os_ken.controller.handler import *  # noqa: F401,F403
