"""How a lab is run: its nodes, switches and links, the controller node, DHCP in the nodes,
the life cycle (topos.run.lab), and the inventory that lets `vmnet clean` undo a dead lab."""
