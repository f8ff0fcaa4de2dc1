"""Texts that stress the server's reproduction of sklearn's text processing (golden examples).

From ../shared/docs/sklearn-tfidf-parity.md ("Hard test strings"): case mapping, accents (composed
and decomposed), Unicode word characters and whitespace that differ between Python and JavaScript,
scripts without spaces, emoji sequences, characters newer than the fitting Python's Unicode,
empty input. All written for this project; none is taken from the training data.
"""
from __future__ import annotations

__all__ = ["HARD_STRINGS"]

HARD_STRINGS: tuple[str, ...] = (
    "Hello, World! Hello again; the the THE.",
    "Café naïve résumé coöperate façade Ångström",
    "Cafe\u0301 nai\u0308ve",
    "İstanbul İSTANBUL ıi ß STRASSE ẞ ﬁnance ﬂow Ǆemal",
    "ΟΔΥΣΣΕΥΣ ΑΣ. Σ",
    "x² H₂O ½ ① Ⅻ ٣٤٥ १२३ 𝟘𝟙",
    "snake_case __init__ ‿tie‿",
    "don't it’s O’Reilly l'été",
    "Live map: https://example.org/maps/fire?zone=12&lang=en and http://t.example/AbC123",
    "#MachineLearning @user_42 #中文",
    "地震で建物が倒壊しました 北京 서울에 비가 옵니다",
    "عاجل: حريـــق كبيـــر في المدينة",
    "भूकंप से भारी नुकसान हुआ",
    "น้ำท่วมหนักมากในเมือง",
    "🔥🔥 👍🏽 👨‍👩‍👧‍👦 🇺🇸🇯🇵 ❤️",
    "𝐅𝐢𝐫𝐞 𝐞𝐯𝐞𝐫𝐲𝐰𝐡𝐞𝐫𝐞 𐐷𐐸𐐹",
    "tab\there\r\nCRLF  double  spaces\u00a0nbsp\u3000ideographic",
    "\u001c\u001d\u001e\u001f sep \u0085 nel \ufeff bom \u200b zwsp",
    "\u212a Kelvin \u2126 Ohm ™ Ｆｕｌｌｗｉｄｔｈ ＦＩＲＥ",
    "a b c I x 7 _",
    "\ua7cb \U00010d50 \u1c89 are newer than Unicode 14",
    "3.14 1,000 0x1F <b>bold</b> &amp; camelCaseWord",
    "   \t\n ",
    "",
)
