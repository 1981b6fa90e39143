"""vmnetlab: Host-only, NAT and Bridged VM networking emulated with Mininet and OpenFlow."""

from setuptools import find_packages, setup

setup(
    name="vmnetlab",
    version="0.1.0",
    description="See and prove how virtual machines reach the network: Host-only, NAT, Bridged",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    python_requires=">=3.8",
    packages=find_packages(include=["topos", "topos.*", "controllers", "plan"]),
    package_data={"topos.run": ["udhcpc.script"]},
    # mininet and os-ken come from Debian (vm/provision.sh) into a venv made with
    # --system-site-packages: PyPI's mininet is not the one Debian patches and tests.
    install_requires=[],
    extras_require={"test": ["pytest>=7", "pytest-xdist>=3", "ruff>=0.4"]},
    entry_points={"console_scripts": ["vmnet = topos.tools.cli:main"]},
)
