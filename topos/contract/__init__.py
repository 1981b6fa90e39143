"""The contract (docs/contract.md) made executable: the claims as data, the probes that send
real traffic, the check that holds a running lab to the claims, and the report tables."""
