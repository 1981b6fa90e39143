"""The app picks the framework that loads it: Ryu under ryu-manager, os-ken under osken-manager."""

import pytest

from controllers import framework


def test_ryu_when_ryu_manager_is_loading_the_app():
    loaded = {"ryu.cmd.manager": object(), "ryu.base.app_manager": object()}
    assert framework.pick(loaded) == "ryu"


def test_os_ken_when_osken_manager_is_loading_the_app():
    loaded = {"os_ken.cmd.manager": object(), "os_ken.base.app_manager": object()}
    assert framework.pick(loaded) == "os_ken"


def test_the_running_manager_wins_when_both_frameworks_are_imported():
    loaded = {"ryu.cmd.manager": 1, "ryu.base.app_manager": 1, "os_ken.base.app_manager": 1}
    assert framework.pick(loaded) == "ryu"


def test_an_app_manager_alone_decides_too():
    assert framework.pick({"ryu.base.app_manager": 1}) == "ryu"


def test_os_ken_pieces_load_under_one_set_of_names():
    pytest.importorskip("os_ken", reason="os-ken not installed")
    fw = framework.load("os_ken")
    assert fw.App.__name__ == "OSKenApp"
    assert fw.ofproto_v1_3.OFP_VERSION == 4
