"""The lab's plan, below both the controller app (controllers/) and the topologies (topos/):
its addresses, MACs, switch numbers and ports (addressing). It imports nothing of ours."""
