"""A deterministic synthetic corpus of tweet-like texts (no rows of any real data set).

Texts are assembled from word lists with a seeded random generator, so every run produces the
same corpus. Each row carries labels for three tasks: `disaster` (0/1), `sentiment`
('negative' | 'neutral' | 'positive') and three multi-label flags (`toxic`, `obscene`, `insult`).
"""
from __future__ import annotations

import random
from dataclasses import dataclass

from .hard_strings import HARD_STRINGS

__all__ = ["SyntheticRow", "synthetic_rows", "KEYWORDS", "LOCATIONS"]

DISASTER = (
    "fire wildfire flood flooding earthquake evacuation evacuated storm hurricane tornado explosion "
    "crash collapsed rescue emergency damage destroyed victims injured killed smoke burning ambulance "
    "siren disaster tsunami landslide derailment outbreak quarantine drought heatwave blizzard "
    "avalanche casualties wreckage debris sinkhole firefighters ablaze inundated aftershock"
).split()
CASUAL = (
    "pizza coffee movie music concert weekend game football party friends song album dinner beach "
    "holiday shopping dress phone selfie netflix book school homework gym dance guitar puppy kitten "
    "garden recipe sunset festival podcast birthday"
).split()
AIRLINE = (
    "flight gate ticket seat booking schedule airport boarding luggage baggage crew pilot delay "
    "connection upgrade refund lounge runway departure arrival"
).split()
POSITIVE = (
    "love great amazing awesome happy best thanks wonderful excellent enjoyed perfect smooth "
    "friendly helpful glad"
).split()
NEGATIVE = (
    "hate terrible awful worst delayed cancelled rude lost broken angry disappointed horrible late "
    "dirty stuck"
).split()
FUNCTION = (
    "the a an is are was were in on at of to and but so it this that my our we they just very not "
    "no I you he she its there here now again still really"
).split()
TOXIC = "idiot stupid moron trash loser dumb pathetic clown".split()
OBSCENE = "damn crap hell freaking bloody".split()
INSULTS = ("you idiot", "you loser", "shut up", "nobody likes you", "you clown", "what a moron")
HASHTAGS = ("#fire", "#Breaking", "#MachineLearning", "#中文", "#news", "#NowPlaying", "#Flood2015", "#café")
MENTIONS = ("@user_42", "@CityFireDept", "@Jäger", "@united", "@news_bot")
URLS = ("http://t.co/AbC123xyz", "https://example.com/path?q=1&r=2", "http://t.co/Zz9", "www.example.org")
EMOJIS = ("🔥", "😂", "👍🏽", "👨\u200d👩\u200d👧", "🇺🇸", "❤\ufe0f", "🌊", "😡", "🙏")
FOREIGN = (
    "incendie près de la forêt",
    "Überschwemmung in München",
    "Σεισμός στην Αθήνα ΣΗΜΕΡΑ",
    "Пожар в Москве",
    "東京で地震が発生",
    "حريق في المدينة",
    "दिल्ली में बाढ़",
    "ไฟไหม้ที่กรุงเทพ",
    "İstanbul'da deprem",
    "Ångström façade naïve",
    "Straße gesperrt",
    "Ａｌｅｒｔ ｆｕｌｌ",
)
KEYWORDS = (
    "", "", "fire", "flood", "earthquake", "storm", "wildfire", "explosion", "ablaze", "body%20bags",
    "emergency", "evacuation", "crash", "derailment", "panic", "siren", "Café", "İstanbul",
)
LOCATIONS = (
    "", "", "", "New York", "London, UK", "São Paulo", "München", "İstanbul", "東京", "Earth",
    "worldwide", "Lagos", "Zürich", "Montréal, QC", "ΑΘΗΝΑ", "Москва", "   ", "Mumbai 🇮🇳", "NYC\tUSA",
)
NUMBERS = ("3.14", "1,000", "2015", "10:30", "x2", "#1", "100%", "½", "²", "٣")


@dataclass(frozen=True)
class SyntheticRow:
    text: str
    keyword: str
    location: str
    disaster: int
    sentiment: str
    toxic: int
    obscene: int
    insult: int


def _styled(rng: random.Random, word: str) -> str:
    roll = rng.random()
    if roll < 0.08:
        return word.upper()
    if roll < 0.2:
        return word.capitalize()
    return word


def _text(rng: random.Random, topic: str, mood: str, toxic: bool, obscene: bool, insult: bool) -> str:
    topical = {"disaster": DISASTER, "casual": CASUAL, "airline": AIRLINE}[topic]
    mood_words = {"positive": POSITIVE, "negative": NEGATIVE, "neutral": AIRLINE}[mood]
    words: list[str] = []
    for _ in range(rng.randint(4, 13)):
        roll = rng.random()
        if roll < 0.35:
            words.append(rng.choice(topical))
        elif roll < 0.55:
            words.append(rng.choice(FUNCTION))
        elif roll < 0.7:
            words.append(rng.choice(mood_words))
        elif roll < 0.75:
            words.append(rng.choice(DISASTER + CASUAL))
        elif roll < 0.8:
            words.append(rng.choice(NUMBERS))
        else:
            words.append(rng.choice(FUNCTION + topical))
    if toxic:
        words.insert(rng.randrange(len(words) + 1), rng.choice(TOXIC))
    if obscene:
        words.insert(rng.randrange(len(words) + 1), rng.choice(OBSCENE))
    if insult:
        words.insert(rng.randrange(len(words) + 1), rng.choice(INSULTS))
    words = [_styled(rng, w) for w in words]
    extras = [
        (0.25, HASHTAGS),
        (0.2, MENTIONS),
        (0.15, URLS),
        (0.2, EMOJIS),
        (0.12, FOREIGN),
    ]
    for chance, pool in extras:
        if rng.random() < chance:
            words.insert(rng.randrange(len(words) + 1), rng.choice(pool))
    separators = (" ", " ", " ", " ", ", ", "! ", ". ", "  ", " - ", "... ", "?! ")
    text = words[0]
    for word in words[1:]:
        text += rng.choice(separators) + word
    if rng.random() < 0.3:
        text += rng.choice(("!", "!!", ".", "?", " :)", " :(", " lol", " 😂"))
    return text


def synthetic_rows(count: int, seed: int, include_hard: bool = False) -> list[SyntheticRow]:
    """`count` generated rows (plus every hard string once, when include_hard)."""
    rng = random.Random(seed)
    rows: list[SyntheticRow] = []
    for _ in range(count):
        topic = rng.choice(("disaster", "disaster", "casual", "airline"))
        mood = rng.choice(("positive", "negative", "neutral"))
        toxic = rng.random() < 0.3
        obscene = rng.random() < 0.25
        insult = rng.random() < 0.2
        text = _text(rng, topic, mood, toxic, obscene, insult)
        disaster = int(topic == "disaster")
        if rng.random() < 0.08:
            disaster = 1 - disaster  # label noise, as in real data
        rows.append(
            SyntheticRow(
                text=text,
                keyword=rng.choice(KEYWORDS) if disaster or rng.random() < 0.5 else "",
                location=rng.choice(LOCATIONS),
                disaster=disaster,
                sentiment=mood,
                toxic=int(toxic or insult and rng.random() < 0.5),
                obscene=int(obscene),
                insult=int(insult),
            )
        )
    if include_hard:
        for index, text in enumerate(HARD_STRINGS):
            rows.append(
                SyntheticRow(
                    text=text,
                    keyword=KEYWORDS[index % len(KEYWORDS)],
                    location=LOCATIONS[index % len(LOCATIONS)],
                    disaster=index % 2,
                    sentiment=("negative", "neutral", "positive")[index % 3],
                    toxic=int(index % 4 == 0),
                    obscene=int(index % 5 == 0),
                    insult=int(index % 7 == 0),
                )
            )
    return rows
