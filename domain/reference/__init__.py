"""Reference data (danh mục): administrative units, countries, and the programme's code lists.

Units and countries come from maintained packages (``vietnamadminunits``, ``pycountry``), not
hand-typed lists. Code lists that belong to the programme itself (agencies, support types...)
are enums whose values are stable machine names and whose ``label_vi`` is the Vietnamese term.
"""
