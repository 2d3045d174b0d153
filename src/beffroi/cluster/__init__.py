"""Several servers, one centre (issue 16): what the nodes of a cluster share through
PostgreSQL. Today: leases with fencing tokens, and the leadership of background loops
built on them. A single-server install never leases anything (`docs/design/cluster.md`).
"""
