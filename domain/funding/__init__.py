"""The funding ledger (sổ cái kinh phí): programmes, their sources and lines, allocations to
units, commitments and payments, as a double-entry ledger in whole đồng (see docs/FUNDING.md)."""
