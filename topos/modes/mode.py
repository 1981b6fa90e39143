"""What declares a mode: everything the tools need to know about it, in the mode's own module.

A mode's module (topos/modes/<name>.py) defines its topology (a topos.modes.world.World) and
one `MODE = Mode(...)`; topos.modes.registry lists the modules. `vmnet check`, `vmnet table`,
`vmnet bench`, `vmnet diagram` and `mn --topo` read the registry and name no mode themselves
(docs/adding-a-mode.md).
"""

from dataclasses import dataclass
from typing import Mapping, Optional, Tuple

# The cells of VirtualBox's table of modes: a way, none, or only through a port forward.
PLUS, MINUS, FORWARD = "+", "-", "port forward"
IPERF_PORT = 5201  # where the bench's iperf3 server listens in a lab


@dataclass(frozen=True)
class Column:
    """A column of the contract (docs/contract.md): what a lab of the mode built with
    `params` must show, and the row of VirtualBox's table it stands for."""

    name: str  # as `vmnet check` and the contract's table name it
    expects: Mapping[int, bool]  # claim number -> must it hold; a claim not named does not apply
    virtualbox: str  # the attachment's name in VirtualBox's manual
    # VirtualBox's cells: VM -> host, host -> VM, VM <-> VM, VM -> LAN, LAN -> VM, and two of
    # ours: VM -> internet, names (the VM resolves and reaches a name on the internet)
    vbox_cells: Tuple[str, ...]
    params: Tuple[str, ...] = ()  # the mode's parameters that make a lab of this column

    def expected(self, claim_number) -> Optional[bool]:
        return self.expects.get(claim_number)


@dataclass(frozen=True)
class BenchPath:
    """A path `vmnet bench` measures: iperf3 from `client` to `server`, aimed at `target`
    (a node and, when it matters, its interface: a port forward is aimed at the host PC)."""

    name: str
    client: str
    server: str
    target: Tuple[str, Optional[str]]
    udp: bool = True  # UDP figures too (a TCP-only port forward has none)
    connections: bool = False  # the connection-rate run too
    port: int = IPERF_PORT
    family: int = 4  # 6: over IPv6, to the target's global address (TCP only: udp=False)


@dataclass(frozen=True)
class Mode:
    name: str  # `--topo NAME`
    topology: type  # its topos.modes.world.World subclass
    columns: Tuple[Column, ...]  # the first is the mode built with no parameters
    bench_paths: Tuple[BenchPath, ...] = ()
    bench_params: Tuple[str, ...] = ()  # parameters the bench builds it with
    bench_variants: Tuple[Tuple[str, ...], ...] = ((),)  # measured once with each (engines)

