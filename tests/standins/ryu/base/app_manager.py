import inspect

from os_ken import utils
from os_ken.base.app_manager import OSKenApp


class RyuApp(OSKenApp):
    """Ryu's base class: distinct from os-ken's, as in the real frameworks."""


class AppManager:
    def load_app(self, name):
        mod = utils.import_module(name)
        classes = inspect.getmembers(mod, lambda c: inspect.isclass(c) and issubclass(c, RyuApp)
                                     and c.__module__ == mod.__name__)
        return classes[0][1] if classes else None
