"""The labelled list behind `arabesque bench screening`: listed targets, queries about them, distractors.

Built from a seed, nothing downloaded. Targets are people from several naming cultures (Russian and
Arabic names listed in their own script, Chinese in characters or pinyin) and companies. Each target
gets true-match queries (a typo, another transliteration, words swapped, an initial, accents changed,
the middle name dropped) and near misses that must not match (the same surname with another given
name; the same name born on another day). Distractors, names never queried, pad the list to size.
"""

from __future__ import annotations

import random

import msgspec

from verification.screening import Entity, Query
from verification.screening.names import normalise

RUSSIAN_GIVEN = ["Сергей", "Алексей", "Дмитрий", "Андрей", "Михаил", "Владимир", "Николай", "Евгений", "Юрий", "Игорь",
                 "Ольга", "Татьяна", "Екатерина", "Наталья", "Ирина", "Светлана", "Юлия", "Ксения"]
RUSSIAN_FAMILY = ["Иванов", "Смирнов", "Кузнецов", "Попов", "Соколов", "Лебедев", "Козлов", "Новиков", "Морозов",
                  "Петров", "Волков", "Соловьёв", "Васильев", "Зайцев", "Павлов", "Семёнов", "Голубев", "Виноградов",
                  "Богданов", "Воробьёв", "Фёдоров", "Михайлов", "Беляев", "Тарасов", "Белов", "Комаров", "Орлов",
                  "Киселёв", "Макаров", "Андреев", "Ковалёв", "Ильин", "Гусев", "Титов", "Кузьмин", "Кудрявцев"]
ARABIC = [("Mohammed", "محمد"), ("Ahmed", "أحمد"), ("Ali", "علي"), ("Omar", "عمر"), ("Khalid", "خالد"),
          ("Yousef", "يوسف"), ("Hassan", "حسن"), ("Ibrahim", "إبراهيم"), ("Abdullah", "عبد الله"), ("Mahmoud", "محمود"),
          ("Tariq", "طارق"), ("Said", "سعيد"), ("Karim", "كريم"), ("Nasser", "ناصر"), ("Faisal", "فيصل")]
ARABIC_FAMILY = [("Al-Rashid", "الراشد"), ("Haddad", "حداد"), ("Mansour", "منصور"), ("Khoury", "خوري"),
                 ("Saleh", "صالح"), ("Nasrallah", "نصر الله"), ("Hamdan", "حمدان"), ("Qasim", "قاسم"),
                 ("Barakat", "بركات"), ("Aziz", "عزيز"), ("Jaber", "جابر"), ("Darwish", "درويش")]
CHINESE_GIVEN = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超",
                 "霞"]
CHINESE_FAMILY = ["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭"]
LATIN_GIVEN = ["José", "María", "François", "Jürgen", "Søren", "Zoë", "Łukasz", "Ángel", "Inés", "Björn", "Chloé",
               "John", "James", "Robert", "Michael", "William", "David", "Richard", "Thomas", "Charles", "Anna",
               "Elena", "Laura", "Sofía", "Marco", "Luca", "Giulia", "Pierre", "Hélène", "Klaus", "Ayşe", "Mehmet"]
LATIN_MIDDLE = ["Antonio", "Luis", "Marie", "Peter", "Lee", "Ann", "Edward", "Carlos", "Louise", "Ahmet"]
LATIN_FAMILY = ["García", "Müller", "Schröder", "Dubois", "Lefèvre", "Smith", "Johnson", "Williams", "Brown", "Jones",
                "Rossi", "Bianchi", "Fernández", "González", "Núñez", "Jensen", "Kowalski", "Nowak", "Wiśniewski",
                "Yılmaz", "Öztürk", "Çelik", "Schmidt", "Fischer", "Weber", "Martínez", "López", "Moreau", "Dupont"]  # noqa: RUF001
WORDS = ["Northern", "Star", "Global", "Trading", "Maritime", "Energy", "Petro", "Atlas", "Eastern", "Gulf", "Capital",
         "Metals", "Logistics", "Shipping", "Alpha", "Delta", "Orient", "Silk", "Road", "Invest", "Agro", "Steel"]
FORMS = ["Ltd", "LLC", "GmbH", "S.A.", "JSC", "OOO", "Limited", "Holding"]
SYLLABLES = ["ka", "ro", "vin", "del", "mar", "to", "li", "sen", "bra", "qu", "zo", "nek", "ta", "mi", "ol", "gar",
             "ber", "an", "su", "fi", "len", "dor", "ha", "ve", "ku", "ris", "po", "tan", "ne", "lu"]
KNOWN_BIRTH_DATE = 0.7
"""The share of queries that carry a birth date (an initial always comes with one: alone it names too many)."""
COUNTRIES = ["ru", "ir", "sy", "cn", "ae", "sa", "de", "es", "fr", "gb", "us", "tr", "it", "pl", "kp", "ve", "by"]


class Labelled(msgspec.Struct, frozen=True, kw_only=True):
    """A query and the id of the listed entity it is about (empty: it matches nobody on the list)."""

    query: Query
    expected: str
    kind: str
    split: str


def _coined(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()


def _date(rng: random.Random) -> str:
    return f"{rng.randint(1940, 2000)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"


def _typo(word: str, rng: random.Random) -> str:
    at = rng.randrange(1, max(2, len(word) - 1))
    edit = rng.choice(("swap", "drop", "double", "replace"))
    if edit == "swap" and at < len(word) - 1:
        return word[:at] + word[at + 1] + word[at] + word[at + 2:]
    if edit == "drop":
        return word[:at] + word[at + 1:]
    if edit == "double":
        return word[:at] + word[at] + word[at:]
    return word[:at] + rng.choice("aeioulnrst") + word[at + 1:]


def _other_scheme(latin: str) -> str:
    """A transliteration other than anyascii's: the German or French-style spellings passports often carry."""
    out = latin
    for old, new in (("ei", "ey"), ("kh", "h"), ("iu", "yu"), ("ia", "ya"), ("v", "w"), ("ks", "x"), ("y", "i")):
        out = out.replace(old, new)
    return out


def _person(rng: random.Random, culture: str = "") -> tuple[list[str], list[str], str, str]:
    """(listed words, the words a query types in Latin, the name in its own script if the query may use it, culture)."""
    culture = culture or rng.choice(("russian", "arabic", "chinese", "latin", "latin"))
    if culture == "russian":
        given, family = rng.choice(RUSSIAN_GIVEN), rng.choice(RUSSIAN_FAMILY)
        if given[-1] == "а" and not family.endswith("а"):  # noqa: RUF001 (Cyrillic: a woman's surname)
            family += "а"  # noqa: RUF001
        listed = [given, family]
        return listed, [_other_scheme(normalise(t).replace(" ", "").capitalize()) for t in listed], "", culture
    if culture == "arabic":
        (given, given_ar), (family, family_ar) = rng.choice(ARABIC), rng.choice(ARABIC_FAMILY)
        return [given, family], [given, family], f"{given_ar} {family_ar}", culture
    family, given = rng.choice(CHINESE_FAMILY), "".join(rng.choices(CHINESE_GIVEN, k=rng.randint(1, 2)))
    if culture == "chinese":
        pinyin = [normalise(family).capitalize(), normalise(given).replace(" ", "").capitalize()]
        return pinyin, pinyin, family + given, culture
    listed = [rng.choice(LATIN_GIVEN), rng.choice(LATIN_MIDDLE), rng.choice(LATIN_FAMILY)]
    return listed, listed, "", culture


def _true_matches(latin: list[str], script: str, culture: str, rng: random.Random) -> list[tuple[str, str]]:
    """(query name, variant) for a listed person: one query per variant that fits the culture."""
    queries = [(" ".join(latin), "transliterated" if culture == "russian" else "exact"),
               (" ".join(reversed(latin)), "swapped")]
    typo_at = rng.randrange(len(latin))
    queries.append((" ".join(_typo(t, rng) if k == typo_at else t for k, t in enumerate(latin)), "typo"))
    if script:
        queries.append((script, "script"))
    if culture == "latin":
        queries += [(f"{latin[0][0]}. {latin[2]}", "initial"), (f"{latin[0]} {latin[2]}", "no_middle"),
                    (normalise(" ".join(latin)).title(), "accents")]
    return queries


def build(*, targets: int = 400, entities: int = 100_000, seed: int = 20261128) -> tuple[list[Entity], list[Labelled]]:
    """The list (targets first, then distractors up to `entities`) and the labelled queries, half per split."""
    rng = random.Random(seed)
    listed: list[Entity] = []
    labelled: list[Labelled] = []
    taken: set[str] = set()  # two targets with one name would be homonyms no matcher can tell apart
    for k in range(targets):
        entity_id = f"t-{k}"
        split = "calibration" if k % 2 == 0 else "report"
        birth, country = _date(rng), rng.choice(COUNTRIES)
        if k % 5 == 4:
            name = f"{rng.choice(WORDS)} {_coined(rng)} {rng.choice(WORDS)} {rng.choice(FORMS)}"
            listed.append(Entity(id=entity_id, schema="Company", properties={
                "name": [name], "jurisdiction": [country], "topics": ["sanction"]}, datasets=["bench"]))
            words = name.split()[:-1]
            variants = [(" ".join(words), "no_legal_form"), (" ".join([*words[:1], _typo(words[1], rng), *words[2:]]),
                                                             "typo"), (name.upper(), "exact")]
            labelled += [Labelled(query=Query(name=q, schema="Company", jurisdiction=country), expected=entity_id,
                                  kind=v, split=split) for q, v in variants]
            labelled.append(Labelled(query=Query(name=f"{words[0]} {_coined(rng)} {words[-1]}", schema="Company"),
                                     expected="", kind="near_company", split=split))
            continue
        names, latin, script, culture = _person(rng)
        while normalise(" ".join(latin)) in taken:
            names, latin, script, culture = _person(rng)
        taken.add(normalise(" ".join(latin)))
        listed.append(Entity(id=entity_id, schema="Person", properties={
            "name": [" ".join(names)], "birthDate": [birth], "nationality": [country],
            "topics": [rng.choice(("sanction", "role.pep"))]}, datasets=["bench"]))
        for name, variant in _true_matches(latin, script, culture, rng):
            known = variant == "initial" or rng.random() < KNOWN_BIRTH_DATE
            labelled.append(Labelled(query=Query(name=name, birth_date=birth if known else ""),
                                     expected=entity_id, kind=variant, split=split))
        other = _person(rng, culture)[1]
        while other[0] == latin[0]:
            other = _person(rng, culture)[1]
        other_birth = _date(rng) if rng.random() < KNOWN_BIRTH_DATE else ""
        labelled.append(Labelled(query=Query(name=" ".join([other[0], *latin[1:]]), birth_date=other_birth),
                                 expected="", kind="shared_name_part", split=split))
        labelled.append(Labelled(query=Query(name=" ".join(latin), birth_date=_date(rng)), expected="",
                                 kind="other_birth_date", split=split))
    while len(listed) < entities:
        given = rng.choice([_coined(rng), rng.choice(LATIN_GIVEN), rng.choice(RUSSIAN_GIVEN)])
        family = _coined(rng) if rng.random() < 0.7 else rng.choice(LATIN_FAMILY + RUSSIAN_FAMILY)
        if given in LATIN_GIVEN + RUSSIAN_GIVEN and family in LATIN_FAMILY + RUSSIAN_FAMILY:
            family = _coined(rng)
        listed.append(Entity(id=f"d-{len(listed)}", schema="Person", properties={
            "name": [f"{given} {family}"], "alias": [f"{family} {_coined(rng)}"], "birthDate": [_date(rng)],
            "topics": ["role.pep"]}, datasets=["bench"]))
    return listed, labelled


__all__ = ["Labelled", "build"]
