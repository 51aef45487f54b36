"""socai (sổ cái, "ledger"): the distribution's name and version.

The code lives in the layer packages (``domain``, ``projections``, ``streams``, ``quality``,
``infra``); this package only names the whole and runs its command line
(``python -m socai``).
"""

__version__ = "0.1.0"
