"""Matching a cluster's staff would sign: cases as they come up in the networks, with the
answer an expert gives, against the demo taxonomy (seeds/taxonomy.json).

Each test states the domain rule it holds the engine to: levels and licence classes,
regulated qualifications, certificate notations and classes, employment type, the
offer's own perspective, production units, training timing, the candidate cut, time.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from gateway.domain.access import Sharing
from gateway.domain.documents import OPEN_END, skill_document
from gateway.domain.lifetime import Lifetime
from gateway.domain.scoring import SkillMatch, fit
from gateway.domain.taxonomy import Taxonomy
from gateway.services.demo import seed_dir
from gateway.services.imports import Importer, read_paths
from gateway.services.matching import Matcher
from schemas.skill import Skill
from tests.records import NEED, OFFER, at, cluster_file, day, indexed

TAXONOMY = Taxonomy(
    skill_document(Skill.model_validate(s))
    for s in json.loads((seed_dir() / "taxonomy.json").read_text())["skills"]
)
NOW = Lifetime(dt.datetime(2026, 12, 1, tzinfo=dt.UTC))
HANNOVER = {"lat": 52.37, "lon": 9.73}
SHARING = Sharing([{"_id": "net", "sharing": {"policy": "HUB"}}])

Doc = dict[str, Any]


def _day(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


def _period(start: str = "2027-01-01", end: str | None = "2027-06-30") -> Doc:
    return {"start": _day(start), "end": _day(end) if end else OPEN_END}


def _listing(listing_id: str, **fields: Any) -> Doc:
    doc = {
        "_id": listing_id,
        "organisation": f"org-{listing_id}",
        "clusters": ["net"],
        "status": "OPEN",
        "period": _period(),
        "location": dict(HANNOVER),
        "radius_km": 100,
        **fields,
    }
    skills = doc.get("skills", []) + doc.get("capabilities", [])
    doc["skill_set"] = sorted(set(skills + doc.get("required_skills", [])))
    return doc


def staff(listing_id: str, skills: list[str], **fields: Any) -> Doc:
    fields.setdefault("headcount", 1)
    return _listing(listing_id, kind="STAFF", skills=skills, **fields)


def talent(listing_id: str, skills: list[str], **fields: Any) -> Doc:
    fields.setdefault("consent", {"given_at": _day("2026-11-01")})
    return _listing(listing_id, kind="TALENT", skills=skills, source="RUNNER_UP", **fields)


def course(listing_id: str, skills: list[str], start: str, end: str | None) -> Doc:
    return _listing(
        listing_id, kind="TRAINING", skills=skills, seats=10, period=_period(start, end)
    )


def need(listing_id: str, required: list[str], **fields: Any) -> Doc:
    fields.setdefault("headcount", 1)
    return _listing(listing_id, kind="STAFF", required_skills=required, **fields)


def production(listing_id: str, kind_of: str, amount: float, unit: str, **fields: Any) -> Doc:
    return _listing(
        listing_id, kind="PRODUCTION", capabilities=["machining"], amount=amount, unit=unit,
        **fields,
    )  # fmt: skip


def score(offer: Doc, wanted: Doc, trainings: list[Doc] = ()):
    return fit(offer, wanted, TAXONOMY, trainings, lifetime=NOW)


def best_first(wanted: Doc, offers: list[Doc]) -> list[str]:
    scored = [(found.score, o["_id"]) for o in offers if (found := score(o, wanted))]
    return [offer_id for _, offer_id in sorted(scored, reverse=True)]


def _how(found, skill: str) -> tuple[SkillMatch, str | None]:
    entry = next(s for s in found.skills if s.skill == skill)
    return entry.how, entry.via


# levels and licence classes


def test_a_higher_language_level_beats_a_lower_one_and_counts_in_full():
    wanted = need("kita", ["childcare-assistant", "german-b2"])
    c1 = staff("c1-speaker", ["childcare-assistant", "german-c1"])
    b1 = staff("b1-speaker", ["childcare-assistant", "german-b1"])
    assert best_first(wanted, [b1, c1]) == ["c1-speaker", "b1-speaker"]
    assert _how(score(c1, wanted), "german-b2") == (SkillMatch.IMPLIED, "german-c1")
    assert _how(score(b1, wanted), "german-b2") == (SkillMatch.RELATED, "german-b1")


def test_a_wider_licence_class_holds_the_narrower_one_a_related_skill_does_not():
    wanted = need("lkw", ["driving-licence-c"])
    ce = staff("ce-driver", ["truck-driving-ce"])
    found = score(ce, wanted)
    assert found is not None and _how(found, "driving-licence-c")[0] == SkillMatch.IMPLIED
    # a delivery driver (class B, related to C) may not drive a 12-tonne truck
    assert score(staff("courier", ["van-driving"]), wanted) is None


# regulated qualifications


@pytest.mark.parametrize(
    ("required", "related_skill"),
    [
        ("forklift-licence", "logistics-warehousing"),
        ("nursing", "care-assistant"),
        ("welding-certificate", "welding"),
        ("offshore-safety", "working-at-height"),
    ],
)
def test_a_regulated_qualification_is_never_stood_in_for_by_a_related_skill(
    required, related_skill
):
    assert score(staff("near-miss", [related_skill]), need("n", [required])) is None


def test_a_training_leads_to_a_regulated_qualification_and_says_when_it_ends():
    wanted = need(
        "lager", ["forklift-licence", "logistics-warehousing"], period=_period("2027-02-01")
    )
    warehouse = staff("lagerist", ["logistics-warehousing"])
    staplerkurs = course("staplerkurs", ["forklift-licence"], "2027-01-11", "2027-01-22")
    found = score(warehouse, wanted, [staplerkurs])
    assert found is not None
    assert _how(found, "forklift-licence")[0] == SkillMatch.TRAINING
    assert found.suggested_trainings == ["staplerkurs"]
    [suggestion] = found.explanation()["trainings"]
    assert suggestion["ends"] == _day("2027-01-22") and suggestion["before_start"]


# certificates


def test_certificate_notations_agree_and_a_higher_class_covers_a_lower_one():
    wanted = production(
        "stahlbau",
        "machining",
        10,
        "t/Monat",
        certifications=["DIN EN 1090-2 EXC2", "ISO 9001:2015"],
    )
    exc3_aero = production(
        "exc3", "machining", 10, "t/Monat", certifications=["EN 1090 EXC3", "EN 9100"]
    )
    same_written_otherwise = production(
        "exc2", "machining", 10, "t/Monat", certifications=["EN 1090-1 EXC2", "DIN EN ISO 9001"]
    )
    exc1 = production("exc1", "machining", 10, "t/Monat", certifications=["EXC1", "ISO 9001"])
    assert score(exc3_aero, wanted) is not None  # EXC3 covers EXC2; EN 9100 includes ISO 9001
    assert score(same_written_otherwise, wanted) is not None
    assert score(exc1, wanted) is None  # a lower class does not
    # a certificate the taxonomy does not know still agrees with itself however written
    unknown = production("x", "machining", 1, "t", certifications=["VDA 6.3:2023"])
    assert score(production("y", "machining", 1, "t", certifications=["VDA 6.3"]), unknown)


# employment type and the offer's perspective


def test_a_permanent_vacancy_prefers_a_person_for_hire_a_temporary_need_staff_on_loan():
    kurzarbeit = staff("kurzarbeit", ["hr-administration"], arrangement="SHORT_TIME_WORK")
    runner_up = talent("runner-up", ["hr-administration"])
    permanent = need("unbefristet", ["hr-administration"], employment="PERMANENT")
    temporary = need("befristet", ["hr-administration"], employment="TEMPORARY")
    assert best_first(permanent, [kurzarbeit, runner_up]) == ["runner-up", "kurzarbeit"]
    assert best_first(temporary, [kurzarbeit, runner_up]) == ["kurzarbeit", "runner-up"]


def _matcher(offers: list[Doc], needs: list[Doc]) -> Matcher:
    listings = {"offers": indexed(offers), "needs": indexed(needs)}
    return Matcher(None, listings, TAXONOMY, SHARING, NOW)


def test_an_offer_ranks_needs_by_how_much_of_its_people_and_time_they_use():
    # four welders free from January to June: a need for all four for the whole time
    # is the better use of them than one for one welder for two months, though both
    # needs are fully served from their own side
    offer = staff("vier-schweisser", ["welding"], headcount=4)
    whole = need("alle-vier", ["welding"], headcount=4)
    part = need("einer-kurz", ["welding"], headcount=1, period=_period("2027-01-01", "2027-02-28"))
    assert score(offer, whole).score == score(offer, part).score
    ranked = _matcher([offer], [part, whole]).needs_for(offer, frozenset(), lambda n: [])
    assert [n["_id"] for n, _ in ranked] == ["alle-vier", "einer-kurz"]


# production amounts


def test_amounts_are_compared_after_converting_units_and_time_bases():
    wanted = production("bedarf", "machining", 400, "Stück/Monat")
    weekly = production("woche", "machining", 100, "Stück/Woche")  # ~435 a month
    monthly = production("monat", "machining", 300, "Stück/Monat")
    tonnes = production("tonnen", "machining", 5, "Tonnen/Monat")  # a different measure
    assert best_first(wanted, [monthly, tonnes, weekly]) == ["woche", "monat", "tonnen"]
    quantity = next(c for c in score(weekly, wanted).criteria if c["name"] == "quantity")
    assert quantity["detail"]["converted"] == pytest.approx(434.86, abs=0.01)
    assert quantity["value"] == 1.0
    kilos = production("kilo", "machining", 2000, "kg pro Woche")
    assert score(kilos, production("t", "machining", 2, "Tonnen/Woche")).quantity_covered == 2


# training timing


def test_a_course_that_ends_before_the_need_starts_qualifies_one_that_ends_late_does_not():
    wanted = need("buero", ["clerical-work"], period=_period("2027-04-01", "2027-09-30"))
    changer = staff("quereinsteiger", ["customer-service"])  # related to nothing needed
    before = course("vorher", ["clerical-work"], "2027-01-11", "2027-03-26")
    early = course("frueh", ["clerical-work"], "2027-03-01", "2027-04-20")
    late = course("spaet", ["clerical-work"], "2027-03-01", "2027-08-31")
    assert score(changer, wanted, [late]) is None  # nothing the changer holds fits yet...
    coverage_view = fit(changer, wanted, TAXONOMY, [late], lifetime=NOW, career_change=True)
    assert coverage_view is None  # ...and a course ending in month five does not prepare them
    for ready in (before, early):
        found = fit(changer, wanted, TAXONOMY, [ready], lifetime=NOW, career_change=True)
        assert found is not None and found.suggested_trainings == [ready["_id"]]


def test_a_permanent_position_waits_for_a_long_retraining():
    wanted = need("erzieher", ["early-childhood-education"], employment="PERMANENT",
                  period=_period("2027-01-01", None))  # fmt: skip
    umschulung = course("umschulung", ["early-childhood-education"], "2027-02-01", "2029-07-31")
    found = fit(staff("x", ["sales"]), wanted, TAXONOMY, [umschulung], lifetime=NOW,
                career_change=True)  # fmt: skip
    assert found is not None and found.suggested_trainings == ["umschulung"]


# the candidate cut


def test_the_cut_keeps_the_best_counterpart_not_the_one_sharing_most_skills():
    wanted = need("schweisser", ["welding"], headcount=4, radius_km=100,
                  optional_skills=["metalwork", "steel-construction", "shipbuilding"])  # fmt: skip
    wanted["skill_set"] += ["metalwork", "shipbuilding", "steel-construction"]
    far = {"lat": HANNOVER["lat"] + 0.8, "lon": HANNOVER["lon"]}  # ~89 km
    generalists = [
        staff(
            f"generalist-{i}",
            ["welding", "metalwork", "steel-construction", "shipbuilding"],
            location=far,
            period=_period("2027-06-01", "2027-06-30"),
        )
        for i in range(20)
    ]
    specialist = staff("spezialist", ["welding"], headcount=4)
    matcher = _matcher([*generalists, specialist], [wanted])
    [(kept, found)] = matcher.offers_for(wanted, limit=1)
    assert kept["_id"] == "spezialist"
    assert found.score == max(score(o, wanted).score for o in [*generalists, specialist])


# time


def test_an_ended_listing_or_a_lapsed_consent_is_never_matched():
    wanted = need("n", ["hr-administration"], period=_period("2026-10-01", "2026-11-15"))
    assert score(staff("o", ["hr-administration"]), wanted) is None
    assert NOW.status(wanted) == "EXPIRED"
    old_consent = talent("alt", ["hr-administration"], consent={"given_at": _day("2026-05-01")})
    assert score(old_consent, need("m", ["hr-administration"])) is None
    assert NOW.status(old_consent) == "EXPIRED"


# explanations


def test_the_explanation_names_each_criterion_and_they_add_up_to_the_score():
    wanted = need("kita", ["childcare-assistant", "german-b2"], optional_skills=["first-aid"],
                  employment="PERMANENT", headcount=2)  # fmt: skip
    found = score(talent("t", ["childcare-assistant", "german-c1"]), wanted)
    explained = found.explanation()
    assert {c["name"] for c in explained["criteria"]} == {
        "skills", "quantity", "period", "distance", "employment"
    }  # fmt: skip
    assert sum(c["weight"] * c["value"] for c in explained["criteria"]) == pytest.approx(
        found.score, abs=1e-3
    )
    assert [(s["skill"], s["how"], s["via"]) for s in explained["skills"]] == [
        ("childcare-assistant", "HELD", None),
        ("german-b2", "IMPLIED", "german-c1"),
        ("first-aid", "MISSING", None),
    ]
    employment = next(c for c in explained["criteria"] if c["name"] == "employment")
    assert employment["detail"] == {"need": "PERMANENT", "offer": "TALENT"}


# through the API


EXPLAINED = """
query {
  matches {
    edges { node { key score offerScore explanation {
      skills { required how skill { id level } via { id level } }
      criteria { criterion weight value offerValue contribution }
      employment { employment offered value }
      quantity { wanted offered comparable }
      trainings { training { key } endsOn endsBeforeStart skills { id } }
    } } }
  }
}
"""


async def test_a_portal_reads_why_a_match_fits_criterion_by_criterion(hub):
    data = cluster_file()
    data["offers"] = [
        dict(OFFER, id="runner-up", kind="TALENT", skills=["childcare-assistant", "german-c1"],
             source="RUNNER_UP", candidate={"name": "Ada Beispiel"},
             consent={"givenAt": at(-17)}),
        dict(OFFER, id="erste-hilfe", organisation="test-org-2", kind="TRAINING", seats=12,
             skills=["first-aid"], period={"start": day(7), "end": day(8)}),
    ]  # fmt: skip
    del data["offers"][0]["headcount"], data["offers"][1]["headcount"]
    data["needs"] = [
        dict(NEED, id="kita", requiredSkills=["childcare-assistant", "german-b2", "first-aid"],
             employment="PERMANENT", headcount=1, period={"start": day(25)})
    ]  # fmt: skip
    await hub.seed(data)
    viewer = await hub.key("HUB_ADMIN")
    [edge] = (await hub.query(EXPLAINED, {}, viewer))["matches"]["edges"]
    match = edge["node"]
    explanation = match["explanation"]
    assert [
        (s["skill"]["id"], s["how"], s["via"] and s["via"]["id"]) for s in explanation["skills"]
    ] == [
        ("childcare-assistant", "HELD", None),
        ("german-b2", "IMPLIED", "german-c1"),
        ("first-aid", "TRAINING", None),
    ]
    assert sum(c["contribution"] for c in explanation["criteria"]) == pytest.approx(
        match["score"], abs=1e-3
    )
    assert explanation["employment"] == {
        "employment": "PERMANENT",
        "offered": "TALENT",
        "value": 1.0,
    }
    assert explanation["trainings"] == [
        {"training": {"key": "erste-hilfe"}, "endsOn": day(8), "endsBeforeStart": True,
         "skills": [{"id": "first-aid"}]}
    ]  # fmt: skip


async def test_time_is_a_hard_rule_whatever_the_stored_status(hub):
    data = cluster_file()
    data["offers"][0]["period"] = {"start": day(-97), "end": day(-7)}  # over
    data["offers"][0]["skills"] = ["logistics-warehousing"]
    stale = dict(OFFER, id="alte-empfehlung", kind="TALENT", skills=["logistics-warehousing"],
                 source="RUNNER_UP", candidate={"name": "Bo Beispiel"},
                 consent={"givenAt": at(-336)})  # fmt: skip
    del stale["headcount"]
    data["offers"].append(stale)
    batch = read_paths([seed_dir() / "taxonomy.json"])
    batch.add("stale.json", data)
    report = await Importer(hub.store, matching=hub.app.state.hub.matching).run(batch)
    [rejection] = report.rejections
    assert (rejection.record, rejection.field) == ("offers[1] (alte-empfehlung)", "consent.givenAt")
    assert "lapsed" in rejection.message
    hub.app.state.hub.taxonomy.invalidate()

    viewer = await hub.key("HUB_ADMIN")
    offers = await hub.query("{ offers { edges { node { key status } } } }", {}, viewer)
    assert offers["offers"]["edges"] == [{"node": {"key": "test-offer-1", "status": "EXPIRED"}}]
    matches = await hub.query("{ matches { totalCount } }", {}, viewer)
    assert matches["matches"]["totalCount"] == 0  # the need fits it in every other way

    assert await hub.app.state.hub.matching.expire() == 1  # and the store agrees
    stored = await hub.store.db.offers.find_one({"_id": "test-offer-1"})
    assert stored["status"] == "EXPIRED" and stored["version"] == 2
