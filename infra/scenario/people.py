"""The scenario's people (người được tiếp nhận, thân nhân): fictitious personal data.

Names, addresses and phone numbers come from Faker's ``vi_VN`` locale, seeded; the 12-digit
citizen id number (số định danh) from the scenario's random stream. It is fictitious, but tests
treat it as real: it must never appear outside the encrypted store, so every person made is
kept in :attr:`People.made` for leak scans.
"""

from __future__ import annotations

import random

from domain.case.values import PersonalData

#: Digits of a citizen id number after its leading 0.
ID_NUMBER_DIGITS = 11


class People:
    """Makes fictitious persons from one seed."""

    def __init__(self, rng: random.Random, seed: int) -> None:
        self.rng = rng
        from faker import Faker  # the [demo] extra: only the demo, tests and benches need it

        self.faker = Faker("vi_VN")
        self.faker.seed_instance(seed)
        #: Personal data of every person made, so tests can scan for leaks.
        self.made: list[PersonalData] = []

    def person(self) -> PersonalData:
        """A new fictitious person."""
        person = PersonalData(
            full_name=self.faker.name(),
            id_number="0" + "".join(str(self.rng.randrange(10)) for _ in range(ID_NUMBER_DIGITS)),
            address=self.faker.address().replace("\n", ", "),
            phone=self.faker.phone_number(),
        )
        self.made.append(person)
        return person
