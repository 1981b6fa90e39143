"""What the network looks like: the world every mode shares (world), the modes (hostonly,
nat, bridged; modes names them), and the `mn --custom` entry (vmnet, mn).

    topos/run/        how a lab is run: nodes, switch, links, controller node, DHCP,
                      life cycle, inventory and `vmnet clean`
    topos/contract/   the contract's claims, the probes, the check, the report
    topos/tools/      the `vmnet` command: check, run, trace, capture, bench, diagram, clean
    topos/agents/     programs the lab runs inside its nodes
"""
