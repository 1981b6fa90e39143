"""What the network looks like, and the tools that build and measure it.

    topos/vmnet.py, mn.py  the `mn --custom` entry and what it replaces in Mininet
    topos/labfile/    lab files: VMs with adapters in VBoxManage's words, read and predicted
    topos/modes/      the world every mode shares, one module a mode (its topology and its
                      declaration), the lab file's lab, and the registry that lists them
    topos/run/        how a lab is run: nodes, switch, links, controller node, DHCP,
                      captures, life cycle, inventory and `vmnet clean`
    topos/contract/   the contract's claims, the probes, the check, the report
    topos/tools/      the `vmnet` command: check, run, trace, bench, diagram, table, clean
    topos/agents/     programs the lab runs inside its nodes

Folders import one way (tests/unit/test_layout.py): agents, run, labfile, modes, contract,
tools, each using only those before it.
"""
