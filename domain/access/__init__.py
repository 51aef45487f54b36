"""People and their access (người dùng và quyền truy cập): registered users, their roles
scoped to administrative units, the one authorization policy, and the access log.

Everything here is an event in the same store as the cases, so the ledger's hash chain and
``socai audit verify`` cover who was allowed what, and who read whose data.
"""
