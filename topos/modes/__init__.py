"""The modes: the world every mode shares (world), one module a mode (hostonly, nat, bridged,
internal: its topology and its declaration, topos.modes.mode), and the registry that lists them."""
