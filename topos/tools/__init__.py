"""The `vmnet` command (topos.tools.cli) and its tools: trace, capture, bench, diagram, and the
extra commands of Mininet's CLI (natmap, leases, flows)."""
