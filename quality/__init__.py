"""Data quality (chất lượng số liệu) of rollups: great-expectations suites, import, results.

Reads rollup tables and files; never reaches into domain internals beyond reference data (the
form's rows and the unit directory). great-expectations is imported lazily, only where a suite
runs (it costs 3–4 s).
"""
