"""The French date reader against a fixed reference: Monday 23 November 2026, 9:00 in Paris."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from domain.dates import PARIS, DateParseError, format_date, format_datetime, parse_day, parse_moment

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=PARIS)

# (typed text, expected local date-time "YYYY-MM-DD HH:MM", or a date "YYYY-MM-DD" when no time is named)
CORPUS = [
    ("demain 9h", "2026-11-24 09:00"),
    ("mardi 14h", "2026-11-24 14:00"),
    ("15 avril 14h", "2027-04-15 14:00"),
    ("mardi prochain 14h", "2026-11-24 14:00"),
    ("lundi prochain à midi", "2026-11-30 12:00"),
    ("mardi matin", "2026-11-24 09:00"),
    ("fin du mois", "2026-11-30"),
    ("dans 15 jours à 10h", "2026-12-08 10:00"),
    ("jeudi 14h", "2026-11-26 14:00"),
    ("le 3 décembre à 10h30", "2026-12-03 10:30"),
    ("demain matin", "2026-11-24 09:00"),
    ("Jeudi à 14 h", "2026-11-26 14:00"),
    ("jeu. 9h30", "2026-11-26 09:30"),
    ("mar. 14h", "2026-11-24 14:00"),
    ("mer 10:15", "2026-11-25 10:15"),
    ("vendredi 16h45", "2026-11-27 16:45"),
    ("14h", "2026-11-23 14:00"),
    ("8h", "2026-11-24 08:00"),
    ("14:30", "2026-11-23 14:30"),
    ("9 h", "2026-11-24 09:00"),
    ("midi", "2026-11-23 12:00"),
    ("ce soir", "2026-11-23 18:00"),
    ("cet après-midi", "2026-11-23 14:00"),
    ("aujourd'hui 16h", "2026-11-23 16:00"),
    ("aujourdhui 16h", "2026-11-23 16:00"),
    ("Aujourd’hui à 16 h 15", "2026-11-23 16:15"),
    ("après-demain 8h", "2026-11-25 08:00"),
    ("apres demain a 8h", "2026-11-25 08:00"),
    ("1er décembre", "2026-12-01"),
    ("1er decembre 10h", "2026-12-01 10:00"),
    ("le 3/12", "2026-12-03"),
    ("3/12 à 9h", "2026-12-03 09:00"),
    ("03/12/2026 14:00", "2026-12-03 14:00"),
    ("31/12 9h", "2026-12-31 09:00"),
    ("2 janvier 10h", "2027-01-02 10:00"),
    ("le 5 janvier à 14h", "2027-01-05 14:00"),
    ("12/01", "2027-01-12"),
    ("3 déc. 11h", "2026-12-03 11:00"),
    ("3 dec 11h", "2026-12-03 11:00"),
    ("15 avril", "2027-04-15"),
    ("dans 3 jours", "2026-11-26"),
    ("dans 2 semaines", "2026-12-07"),
    ("dans un mois", "2026-12-23"),
    ("dans une semaine", "2026-11-30"),
    ("dans 2 heures", "2026-11-23 11:00"),
    ("dans 30 minutes", "2026-11-23 09:30"),
    ("dans 1h30", "2026-11-23 10:30"),
    ("semaine prochaine", "2026-11-30"),
    ("la semaine prochaine", "2026-11-30"),
    ("fin de semaine", "2026-11-27"),
    ("mois prochain", "2026-12-01"),
    ("début du mois prochain", "2026-12-01"),
    ("fin du mois prochain", "2026-12-31"),
    ("mi-janvier", "2027-01-15"),
    ("début mars", "2027-03-01"),
    ("fin décembre", "2026-12-31"),
    ("lundi en huit", "2026-12-07"),
    ("mardi 1er décembre 14h", "2026-12-01 14:00"),
    ("vendredi 25 décembre", "2026-12-25"),
    ("jeudi 7h du soir", "2026-11-26 19:00"),
    ("demain 3h de l'après-midi", "2026-11-24 15:00"),
    ("samedi fin de matinée", "2026-11-28 11:00"),
    ("dimanche soir", "2026-11-29 18:00"),
    ("lundi à 8 h 30", "2026-11-30 08:30"),
    ("JEUDI 14H", "2026-11-26 14:00"),
    ("vers 15h demain", "2026-11-24 15:00"),
    ("Le 24/11 à 17h", "2026-11-24 17:00"),
    ("24/11/26 17h", "2026-11-24 17:00"),
    ("en début d'après-midi jeudi", "2026-11-26 14:00"),
    ("dans quinze jours", "2026-12-08"),
    ("dans une quinzaine", "2026-12-07"),
    ("rdv mercredi 2 décembre 9h", "2026-12-02 09:00"),
    ("demain à 14h00", "2026-11-24 14:00"),
]


def _as_text(moment) -> str:
    local = moment.when.astimezone(PARIS)
    return local.strftime("%Y-%m-%d %H:%M") if moment.has_time else local.strftime("%Y-%m-%d")


def test_corpus_is_large_enough():
    assert len(CORPUS) >= 60


@pytest.mark.parametrize("text,expected", CORPUS)
def test_reads_french_phrasings(text, expected):
    assert _as_text(parse_moment(text, NOW)) == expected


@pytest.mark.parametrize(
    "text",
    ["je ne sais pas", "bientôt", "32/12", "25h", "jeudi ou vendredi", "", "14", "la semaine des quatre jeudis",
     "mardi 4 décembre", "dans 2 heures demain", "31/02"],
)
def test_refuses_rather_than_guesses(text):
    with pytest.raises(DateParseError) as err:
        parse_moment(text, NOW)
    assert str(err.value)  # a French sentence for the user


def test_weekday_that_does_not_match_the_date_is_explained():
    with pytest.raises(DateParseError, match="vendredi, pas un mardi"):
        parse_moment("mardi 4 décembre", NOW)


def test_spring_clock_change_keeps_wall_time():
    before = datetime(2026, 3, 28, 10, 0, tzinfo=PARIS)  # Saturday, UTC+1
    moment = parse_moment("demain 10h", before)
    assert moment.when.utcoffset().total_seconds() == 7200
    assert moment.when.astimezone(PARIS).hour == 10


def test_spring_clock_change_keeps_durations_exact():
    before = datetime(2026, 3, 28, 10, 0, tzinfo=PARIS)
    moment = parse_moment("dans 24 heures", before)
    utc = ZoneInfo("UTC")  # same-zone subtraction would compare wall clocks, not instants
    assert (moment.when.astimezone(utc) - before.astimezone(utc)).total_seconds() == 24 * 3600
    assert moment.when.astimezone(PARIS).hour == 11  # one hour of wall clock lost that night


def test_autumn_clock_change():
    before = datetime(2026, 10, 24, 12, 0, tzinfo=PARIS)  # UTC+2
    moment = parse_moment("demain midi", before)
    assert moment.when.utcoffset().total_seconds() == 3600
    assert moment.when.astimezone(PARIS).strftime("%d %H:%M") == "25 12:00"


@pytest.mark.parametrize(
    "text,expected",
    [("hier", date(2026, 11, 22)), ("avant-hier", date(2026, 11, 21)), ("aujourd'hui", date(2026, 11, 23)),
     ("20 novembre", date(2026, 11, 20)), ("lundi dernier", date(2026, 11, 16)), ("12/11", date(2026, 11, 12)),
     ("1er octobre", date(2026, 10, 1)), ("15 décembre", date(2025, 12, 15))],
)
def test_days_of_record_prefer_the_past(text, expected):
    assert parse_day(text, NOW) == expected


def test_day_of_record_refuses_a_time():
    with pytest.raises(DateParseError):
        parse_day("hier 14h", NOW)


def test_french_formatting():
    assert format_datetime(datetime(2026, 11, 26, 14, 0, tzinfo=PARIS)) == "jeudi 26 novembre 2026 à 14 h 00"
    assert format_date(date(2026, 12, 1)) == "mardi 1er décembre 2026"
