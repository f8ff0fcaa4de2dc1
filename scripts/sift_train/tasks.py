"""The two models Sift ships: their data columns, classes, form inputs, search spaces and examples.

Search spaces were chosen from exploratory runs on the training split only (never the held-out
rows): TF-IDF word uni+bigrams with sublinear tf are the base; char_wb 2–5-grams add about half a
point of CV accuracy on tweets (misspellings, hashtags glued to words, elongations); wider char
ranges (2–6, 1–4, 3–5) scored the same within noise. min_df prunes words seen in fewer than 3
tweets and char n-grams seen in fewer than 5: against min_df 2/3 that drops ~40% of the columns
for a CV change of ±0.001 (noise), and every column costs the server memory. Everything below
stays within a few minutes on two cores, because CI retrains both models to check that the
committed bundles are exactly what this script produces.

Example and golden texts are written for this project (none is a row of the training data).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Callable

import pandas as pd

from .hard_strings import HARD_STRINGS
from .space import BlockOption, BlockSlot, ClassifierSpace

__all__ = ["TaskSpec", "TASKS"]

WORD = {"analyzer": "word", "ngram_range": [1, 2], "sublinear_tf": True}
CHAR_WB = {"analyzer": "char_wb", "sublinear_tf": True}
# Letters only: the keyword column spells spaces as %20 ("forest%20fire"); with this pattern
# "forest%20fire" and a user's "forest fire" give the same tokens, without preprocessing anything
# that the server would then have to repeat.
KEYWORD_PATTERN = "[a-z]{2,}"


@dataclass(frozen=True)
class TaskSpec:
    name: str
    title: str
    description: str
    file: str  # under the data directory
    label_column: str
    parse_labels: Callable[[pd.Series], pd.Series]
    classes: tuple  # label values in sklearn's (sorted) order
    class_names: dict
    inputs: dict  # field → card input settings (exporter's `inputs`)
    scoring: str  # 'accuracy' or 'f1_macro' (sklearn scorer names)
    scoring_reason: str
    slots: tuple  # of BlockSlot
    classifier: ClassifierSpace
    quick_slots: tuple
    quick_classifier: ClassifierSpace
    examples: tuple  # of {"title", "inputs"}
    golden_inputs: tuple  # of {field: text}
    positive_class: int | None = None
    # A fixed pipeline (seed → unfitted Pipeline) trained without the grid search, e.g. the
    # tutorial's XGBoost model; `fixed_settings` describes it on the card.
    fixed: Callable[[int], Any] | None = None
    fixed_settings: dict | None = None

    @property
    def fields(self) -> list[str]:
        return list(self.inputs)


def _int_labels(series: pd.Series) -> pd.Series:
    return series.astype(int)


def _str_labels(series: pd.Series) -> pd.Series:
    return series.astype(str)


# --- disaster-tweets ---------------------------------------------------------------------------

_DISASTER_EXAMPLES = (
    {
        "title": "Wildfire evacuation",
        "inputs": {
            "text": "Forest fire near our town, evacuation ordered for everyone east of the river",
            "keyword": "forest fire",
            "location": "Kelowna, BC",
        },
    },
    {
        "title": "Flood warning",
        "inputs": {
            "text": "Flash flood warning until 9 PM: roads are under water, move to higher ground now",
            "keyword": "flood",
            "location": "",
        },
    },
    {
        "title": "Figure of speech",
        "inputs": {
            "text": "This traffic jam is a total disaster, I'm going to miss the whole concert lol",
            "keyword": "disaster",
            "location": "London",
        },
    },
    {
        "title": "Movie night",
        "inputs": {
            "text": "Just watched an earthquake movie with the kids, the effects were insane 😂",
            "keyword": "earthquake",
            "location": "",
        },
    },
    {
        "title": "Train derailment",
        "inputs": {
            "text": "Freight train derailed outside the station this morning, crews on site, two injured",
            "keyword": "derailment",
            "location": "Ohio, USA",
        },
    },
)

_DISASTER_TEXTS = (
    ("Magnitude 6.1 earthquake shakes the coast; several buildings damaged, no tsunami warning", "earthquake", "Chile"),
    (
        "Hurricane makes landfall tonight. Power out across the county, shelters open at both schools",
        "hurricane",
        "Florida",
    ),
    (
        "Massive explosion at the chemical plant, thick smoke over the harbour, residents told to stay inside",
        "chemical%20emergency",
        "Rotterdam",
    ),
    (
        "Bridge collapse on the highway: cars in the river, divers searching for survivors",
        "bridge%20collapse",
        "Genoa, Italy",
    ),
    ("My phone battery died mid-call, what a catastrophe", "catastrophe", ""),
    ("That guitar solo absolutely blew me away, the crowd exploded", "blew%20up", "Nashville"),
    ("I'm dying of laughter at this video 😂😂", "", ""),
    ("New album drops Friday and it's 🔥🔥🔥", "fire", "Los Angeles, CA"),
    ("Reading a history of the 1906 San Francisco earthquake for class", "earthquake", "Berkeley"),
)

_DISASTER_KEYWORDS = ("", "body%20bags", "BUILDINGS ON FIRE", "wild fires", "sinkhole", "%20")
_DISASTER_LOCATIONS = ("", "São Paulo, Brasil", "東京都", "Earth 🌍", "NYC  \t", "İzmir")


def _disaster_golden() -> tuple:
    rows = [dict(example["inputs"]) for example in _DISASTER_EXAMPLES]
    rows += [{"text": text, "keyword": keyword, "location": location} for text, keyword, location in _DISASTER_TEXTS]
    for index, text in enumerate(HARD_STRINGS):
        rows.append(
            {
                "text": text,
                "keyword": _DISASTER_KEYWORDS[index % len(_DISASTER_KEYWORDS)],
                "location": _DISASTER_LOCATIONS[(index // 2) % len(_DISASTER_LOCATIONS)],
            }
        )
    return tuple(rows)


_DISASTER = TaskSpec(
    name="disaster-tweets",
    title="Disaster tweets",
    description=(
        "Is this tweet about a real disaster, or does it only use the words? Trained on the "
        "hand-labelled tweets of Kaggle's “Natural Language Processing with Disaster Tweets” "
        "(Figure Eight, Data for Everyone)."
    ),
    file="disaster-tweets/train.csv",
    label_column="target",
    parse_labels=_int_labels,
    classes=(0, 1),
    class_names={0: "Not a disaster", 1: "Real disaster"},
    inputs={
        "text": {"label": "Tweet", "required": True, "multiline": True},
        "keyword": {"label": "Keyword", "required": False, "multiline": False},
        "location": {"label": "Location", "required": False, "multiline": False},
    },
    scoring="accuracy",
    scoring_reason="classes are near balance (57/43) and held-out accuracy is the target (≥ 0.80)",
    slots=(
        BlockSlot("text_words", "text", (BlockOption.of({**WORD, "min_df": 3}),), stemmable=True),
        BlockSlot(
            "text_chars",
            "text",
            (
                None,
                BlockOption.of({**CHAR_WB, "ngram_range": [2, 5], "min_df": 5}),
            ),
        ),
        BlockSlot(
            "keyword",
            "keyword",
            tuple(
                BlockOption.of({"analyzer": "word", "ngram_range": [1, 2], "token_pattern": KEYWORD_PATTERN}, weight)
                for weight in (0.5, 1.0)
            ),
        ),
        # Free-text locations are noisy ("Earth", "somewhere over the rainbow"): small weights only.
        BlockSlot(
            "location",
            "location",
            tuple(
                BlockOption.of({"analyzer": "word", "ngram_range": [1, 1], "min_df": 2}, weight)
                for weight in (0.25, 0.5)
            ),
        ),
    ),
    classifier=ClassifierSpace(
        base={"solver": "liblinear", "max_iter": 1000},
        grid=tuple({"C": c, "class_weight": w} for w in (None, "balanced") for c in (0.5, 1.0, 2.0)),
    ),
    quick_slots=(
        BlockSlot("text_words", "text", (BlockOption.of({**WORD, "ngram_range": [1, 1]}),), stemmable=True),
        BlockSlot(
            "keyword",
            "keyword",
            (BlockOption.of({"analyzer": "word", "ngram_range": [1, 1], "token_pattern": KEYWORD_PATTERN}),),
        ),
        BlockSlot("location", "location", (BlockOption.of({"analyzer": "word", "ngram_range": [1, 1]}, 0.5),)),
    ),
    quick_classifier=ClassifierSpace(
        base={"solver": "liblinear", "max_iter": 1000},
        grid=({"C": 1.0, "class_weight": None},),
    ),
    examples=_DISASTER_EXAMPLES,
    golden_inputs=_disaster_golden(),
    positive_class=1,
)


# --- airline-sentiment -------------------------------------------------------------------------

_AIRLINE_EXAMPLES = (
    {
        "title": "Lost luggage",
        "inputs": {"text": "@united lost my bag again and nobody answers the phone. Worst trip ever."},
    },
    {
        "title": "A question",
        "inputs": {"text": "@AmericanAir what time does the Admirals Club in Dallas open on Sundays?"},
    },
    {
        "title": "Happy customer",
        "inputs": {"text": "Thank you @SouthwestAir for the smooth flight and the friendly crew! ✈️"},
    },
    {
        "title": "Delayed",
        "inputs": {"text": "@JetBlue three hour delay, no update at the gate and now I've missed my connection"},
    },
)

_AIRLINE_TEXTS = (
    "@VirginAmerica loving the mood lighting and the extra legroom 😍",
    "@USAirways is the 5pm flight to Charlotte still on time?",
    "@Delta great service today, the agent rebooked me in two minutes. Thanks!",
    "@united Cancelled again... seriously?",
    "@SouthwestAir can I change my flight online or do I need to call?",
    "@AmericanAir on hold for two hours. Unacceptable.",
    "@JetBlue the wifi worked the whole way, nice",
    "@united my seat was broken and the crew didn't care",
    "@Delta do you allow pets in the cabin on international flights?",
    "@SouthwestAir best crew ever!!! see you next week",
)


def _airline_golden() -> tuple:
    rows = [dict(example["inputs"]) for example in _AIRLINE_EXAMPLES]
    rows += [{"text": text} for text in _AIRLINE_TEXTS]
    rows += [{"text": text} for text in HARD_STRINGS]
    return tuple(rows)


_AIRLINE = TaskSpec(
    name="airline-sentiment",
    title="Airline tweet sentiment",
    description=(
        "Is this tweet to a US airline negative, neutral or positive? Trained on most of the "
        "“Twitter US Airline Sentiment” set (CrowdFlower, Data for Everyone, February 2015)."
    ),
    file="airline-sentiment/train.csv",
    label_column="sentiment",
    parse_labels=_str_labels,
    classes=("negative", "neutral", "positive"),
    class_names={"negative": "Negative", "neutral": "Neutral", "positive": "Positive"},
    inputs={"text": {"label": "Tweet", "required": True, "multiline": True}},
    scoring="f1_macro",
    scoring_reason=(
        "classes are imbalanced (63% negative); macro F1 weighs neutral and positive tweets as much "
        "as negative ones, where accuracy would reward a model that leans towards 'negative'"
    ),
    slots=(
        BlockSlot("text_words", "text", (BlockOption.of({**WORD, "min_df": 3}),), stemmable=True),
        BlockSlot("text_chars", "text", (None, BlockOption.of({**CHAR_WB, "ngram_range": [2, 5], "min_df": 5}))),
    ),
    # newton-cg: a true multinomial (softmax) model like lbfgs, and here twice as fast to converge
    # to the same solution; liblinear would fit one-vs-rest.
    classifier=ClassifierSpace(
        base={"solver": "newton-cg", "max_iter": 1000},
        grid=tuple({"C": c, "class_weight": w} for w in (None, "balanced") for c in (1.0, 3.0)),
    ),
    quick_slots=(BlockSlot("text_words", "text", (BlockOption.of({**WORD, "ngram_range": [1, 1]}),), stemmable=True),),
    quick_classifier=ClassifierSpace(
        base={"solver": "newton-cg", "max_iter": 1000},
        grid=({"C": 1.0, "class_weight": "balanced"},),
    ),
    examples=_AIRLINE_EXAMPLES,
    golden_inputs=_airline_golden(),
)


# --- disaster-tweets-xgboost: the tutorial this product grew from -----------------------------

_XGBOOST_SETTINGS = {
    "n_estimators": 400,
    "max_depth": 6,
    "learning_rate": 0.1,
    "subsample": 0.8,
    "colsample_bytree": 0.8,
    "tree_method": "hist",
    "n_jobs": 2,
}
_TUTORIAL_FEATURES = {
    "keyword": {"vectorizer": "CountVectorizer", "token_pattern": KEYWORD_PATTERN},
    "location": {"vectorizer": "CountVectorizer", "min_df": 2},
    "text": {"vectorizer": "TfidfVectorizer", "ngram_range": [1, 2], "min_df": 2, "sublinear_tf": True},
}


def _tutorial_pipeline(seed: int) -> Any:
    """keyword and location counts + text TF-IDF, hstacked, → XGBClassifier (the tutorial)."""
    from sklearn.compose import ColumnTransformer
    from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
    from sklearn.pipeline import Pipeline
    from xgboost import XGBClassifier

    features = ColumnTransformer(
        [
            ("keyword", CountVectorizer(token_pattern=KEYWORD_PATTERN), "keyword"),
            ("location", CountVectorizer(min_df=2), "location"),
            ("text", TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True), "text"),
        ]
    )
    return Pipeline([("features", features), ("clf", XGBClassifier(random_state=seed, **_XGBOOST_SETTINGS))])


_DISASTER_XGBOOST = replace(
    _DISASTER,
    name="disaster-tweets-xgboost",
    title="Disaster tweets (XGBoost)",
    description=(
        "The tutorial's model: keyword and location counts plus text TF-IDF, fed to XGBoost. Same data "
        "and held-out split as the default disaster-tweets model; compare their metrics here."
    ),
    fixed=_tutorial_pipeline,
    fixed_settings={"features": _TUTORIAL_FEATURES, "classifier": {"estimator": "XGBClassifier", **_XGBOOST_SETTINGS}},
)


TASKS: dict[str, TaskSpec] = {task.name: task for task in (_DISASTER, _AIRLINE, _DISASTER_XGBOOST)}


