"""One normalisation of text for every rule that reads words: replies and content alike.

Two texts say "the same words" when their folded forms are equal, whatever the writer's
keyboard, script or tricks. `fold` applies, in this order:

1. NFKC: full-width forms to ASCII (ＴＤ → TD, ０ → 0, ， → ,), compatibility ideographs and
   presentation forms to the plain character (︻ → 【), ideographic space to space;
2. case folding (STOP → stop);
3. one character table (`str.translate`):
   - invisible characters removed: every format character (Unicode category Cf: zero-width
     space and joiners, direction marks, soft hyphen, BOM, tags...), variation selectors and
     the other default-ignorable fillers, so "回\\u200bT退订" is "回t退订";
   - traditional → simplified Chinese, OpenCC's character table (app/rules/t2s.py): 退訂 → 退订;
   - then variant characters (异体字) that conversion leaves apart, to the one mainland
     standard form (`VARIANTS` below): 帐 → 账, 著 → 着, 囘 → 回, so 安全帳戶, 安全帐户 and
     安全账户 read alike (裡/裏, 峯, 綫, 衛, 眾 are already unified by the conversion);
   - Cyrillic and Greek letters that look Latin to those letters (Т → t);
   - quote look-alikes to ASCII quotes (“ ” 「 」 『 』 → ", ‘ ’ → ') and bracket look-alikes
     to 【】 (〖〗〘〙〚〛⟦⟧; ︻︼ and ︗︘ through NFKC, which makes ［］ ASCII []).

`compact` then removes whatever is not a letter or digit (spaces, punctuation, symbols,
emoji): "T D", "回复“TD”退订", "中 奖" and "中。奖" compact to "td", "回复td退订", "中奖".

Each step is one pass in C, so time is linear in the text; `nfkc` skips the general
algorithm for the usual Chinese message.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

from app.rules.t2s import SIMPLIFIED, TRADITIONAL

# Default-ignorable code points NFKC keeps: every Cf (format) character up to Unicode 15.1
# (tests/test_textnorm.py checks the interpreter's own table), variation selectors, the
# combining grapheme joiner, Hangul fillers and Khmer inherent vowels.
_IGNORABLE_BMP: Final = (
    (0x00AD, 0x00AD), (0x034F, 0x034F), (0x0600, 0x0605), (0x061C, 0x061C), (0x06DD, 0x06DD),
    (0x070F, 0x070F), (0x0890, 0x0891), (0x08E2, 0x08E2), (0x115F, 0x1160), (0x17B4, 0x17B5),
    (0x180B, 0x180F), (0x200B, 0x200F), (0x202A, 0x202E), (0x2060, 0x206F), (0x3164, 0x3164),
    (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF), (0xFFA0, 0xFFA0), (0xFFF9, 0xFFFB),
)
_IGNORABLE_ASTRAL: Final = re.compile(
    "[\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0000-\U000e0fff]+")
# Latin look-alikes, after case folding (Cyrillic and Greek lower case).
_CONFUSABLE_FROM: Final = "аеорсухіјѕԁԛԝвкмнтαεικνορτυχ"
_CONFUSABLE_TO: Final = "aeopcyxijsdqwbkmhtaeiknoptux"
_QUOTES: Final = "“”„‟″‶〝〞〟「」『』«»‹›﹁﹂﹃﹄"  # → "
_APOSTROPHES: Final = "‘’‚‛′‵´"  # → '
_OPEN_BRACKETS: Final = "〖〘〚⟦"  # → 【 (NFKC already made ︻ 【, ︗ 〖 and ［ [)
_CLOSE_BRACKETS: Final = "〗〙〛⟧"  # → 】


# Variant characters (异体字) that traditional → simplified leaves apart: each pair is one word's
# two written forms, interchanged in practice (old, Japanese or Hong Kong forms, and pairs a
# writer confuses) and never two different words in the texts rules read, so folding one into the
# other can only make a phrase match, not change which phrase. The target is the mainland standard
# form (通用规范汉字表); a traditional character converts first, then folds (帳 → 帐 → 账).
VARIANTS: Final = {
    "帐": "账", "著": "着", "囘": "回", "廻": "回", "囬": "回", "缐": "线", "衞": "卫",
    "敍": "叙", "淸": "清", "槪": "概", "値": "值", "鎻": "锁", "粧": "妆", "燄": "焰", "襍": "杂",
    "韮": "韭", "戸": "户", "囯": "国", "騐": "验", "馀": "余", "奨": "奖", "吿": "告", "靑": "青",
    "縂": "总", "钜": "巨", "衹": "只", "祇": "只", "踨": "踪", "姪": "侄", "菓": "果", "窻": "窗",
    "牎": "窗", "硷": "碱", "碁": "棋", "鬦": "斗", "鬭": "斗", "凾": "函", "峩": "峨", "甯": "宁",
    "乗": "乘", "効": "效", "冐": "冒", "冦": "寇", "朶": "朵", "兎": "兔", "搾": "榨", "厰": "厂",
    "疎": "疏", "恠": "怪", "砲": "炮", "礮": "炮", "蔴": "麻", "椀": "碗", "盌": "碗", "糭": "粽",
    "烖": "灾", "稭": "秸", "煖": "暖",
}


def _table() -> list[str | None]:
    """The BMP translate table, indexed by code point: None deletes; astral code points are
    outside the list, which translate leaves as they are."""
    table: list[str | None] = [chr(code) for code in range(0x10000)]
    for first, last in _IGNORABLE_BMP:
        for code in range(first, last + 1):
            table[code] = None
    pairs = [*((t, VARIANTS.get(s, s)) for t, s in zip(TRADITIONAL, SIMPLIFIED, strict=True)),
             *VARIANTS.items(),
             *zip(_CONFUSABLE_FROM, _CONFUSABLE_TO, strict=True),
             *((q, '"') for q in _QUOTES), *((a, "'") for a in _APOSTROPHES),
             *((b, "【") for b in _OPEN_BRACKETS), *((b, "】") for b in _CLOSE_BRACKETS)]
    for source, target in pairs:
        if ord(source) < 0x10000:
            table[ord(source)] = target
    return table


_TABLE: Final = _table()

# NFKC without the general algorithm, for the usual message (see `nfkc`). Characters NFKC leaves
# alone and that never compose: printable ASCII, CJK unified ideographs, and the CJK symbols and
# punctuation without a decomposition or a combining class; plus full-width ASCII, which NFKC
# maps to the one ASCII character 0xFEE0 below.
_FULLWIDTH_ASCII: Final = "\uff01-\uff5e"
INERT_CJK_PUNCTUATION: Final = "".join(
    ch for ch in map(chr, range(0x3001, 0x3040))
    if unicodedata.normalize("NFKD", ch) == ch and not unicodedata.combining(ch)
)
_NOT_SIMPLE: Final = re.compile(
    f"[^\\x20-\\x7e\\u4e00-\\u9fff{re.escape(INERT_CJK_PUNCTUATION)}{_FULLWIDTH_ASCII}]"
)
_FULLWIDTH: Final = re.compile(f"[{_FULLWIDTH_ASCII}]")
# Not plain (printable ASCII, CJK ideographs, the inert CJK punctuation): usually none but "，".
_NOT_PLAIN: Final = re.compile(
    f"[^\\x20-\\x7e\\u4e00-\\u9fff{re.escape(INERT_CJK_PUNCTUATION)}]")
_NOT_WORD: Final = re.compile(r"[\W_]+")


def nfkc(text: str) -> str:
    """unicodedata.normalize("NFKC", text), about 3x faster on the usual Chinese message.

    When every character is one of the simple ones above, NFKC decomposes nothing but the
    full-width forms (each to one ASCII character), reorders nothing (no combining class) and
    composes nothing (none can be the second of a composition), so the result is those
    replacements. Anything else takes the general algorithm. tests/test_rules.py checks both.
    """
    if _NOT_SIMPLE.search(text) is not None:
        return unicodedata.normalize("NFKC", text)
    for wide in set(_FULLWIDTH.findall(text)):  # (at most 94 distinct)
        text = text.replace(wide, chr(ord(wide) - 0xFEE0))
    return text


def fold(text: str) -> str:
    """NFKC, case folded, the character table applied (see the module docstring)."""
    if text.isascii():  # NFKC and the table change nothing, casefold is lower
        return text.lower()
    if "，" in text:  # the usual Chinese message's one full-width form
        text = text.replace("，", ",")
    if _NOT_PLAIN.search(text) is None:  # its own NFKC, and no astral character
        return text.casefold().translate(_TABLE)
    text = nfkc(text).casefold()
    if len(text.encode("utf-16-le")) != 2 * len(text):  # astral characters (emoji, tags...)
        text = _IGNORABLE_ASTRAL.sub("", text)
    return text.translate(_TABLE)


def compact(folded: str) -> str:
    """Folded text with everything but letters and digits removed: how phrases compare."""
    return _NOT_WORD.sub("", folded)


def normalise(text: str) -> str:
    """`compact(fold(text))`."""
    return _NOT_WORD.sub("", fold(text))


# Written Cantonese: its function words to the Mandarin ones the rules are written in, so every
# Mandarin rule reads a Cantonese reply (唔好再send嘢俾我 → 不要再send东西给我) with its negation
# kept (唔退订 → 不退订). Characters that are also Mandarin words (点, 同, 系, 先, 边, 成) are
# mapped only inside the Cantonese phrases that hold them, and only in a text with a Cantonese
# mark (a Cantonese character, or 点样 or 点解 opening a phrase); 仲 and 喇 are kept inside the
# Mandarin words that hold them (仲裁, 喇叭).
_YUE_PHRASES_WRITTEN: Final = {
    "唔好意思": "不好意思", "唔该晒": "谢谢", "多谢晒": "谢谢", "唔该": "请", "唔使": "不用",
    "唔驶": "不用", "唔洗": "不用", "唔好": "不要", "好唔好": "好不好", "唔系": "不是",
    "系唔系": "是不是", "系咪": "是不是", "系咩": "是吗", "就系": "就是", "有冇": "有没有",
    "冇话": "没说", "冇讲": "没说",
    "乜嘢": "什么", "咩嘢": "什么", "呢啲": "这些", "嗰啲": "那些", "呢d": "这些",
    "哋啲": "们的", "呢个": "这个", "呢条": "这条", "呢种": "这种", "呢类": "这类",
    "呢度": "这里", "呢排": "这阵子", "呢间": "这间", "呢次": "这次",
    "咪再": "别再", "咪send": "别send", "咪发": "别发", "咪传": "别传", "咪烦": "别烦",
    "咪搞": "别搞", "边个": "谁", "边度": "哪里", "边到": "哪里", "同我": "跟我",
    "成日": "成天", "日日": "天天", "而家": "现在",
}
# 点 (how) opens these; not after a word it ends (一点, 有点, 早点, 重点: 一点样品, 有点做不完)
_YUE_HOW: Final = [
    (re.compile(f"(?<![一这那有几差多早晚快慢好少重要]){phrase}"), mandarin)
    for phrase, mandarin in (
        ("点样(?:先|至)", "怎样才"), ("点样", "怎样"), ("点解", "为什么"),
        ("点(?:先|至)", "怎么才"), ("点可以", "怎么可以"), ("点做", "怎么做"), ("点算", "怎么办"),
        ("点(?=取消|退订|拒收|停|唔|不)", "怎么"))]
_YUE_CHARS_WRITTEN: Final = {
    "唔": "不", "冇": "没", "咗": "了", "乜": "什么", "咩": "什么", "嘢": "东西", "俾": "给",
    "畀": "给", "啲": "些", "嗰": "那", "哋": "们", "佢": "他", "嚟": "来", "喺": "在",
    "嘅": "的", "咁": "这么", "揾": "找", "睇": "看", "攞": "拿", "嘞": "了", "啰": "啦",
    "喎": "哦", "吖": "啊", "啩": "吧", "㗎": "的",
}
# (folded: 嗰 folds to an astral form; longest phrase first, so 系唔系 goes before 唔系)
_YUE_PHRASES: Final = sorted(((fold(k), fold(v)) for k, v in _YUE_PHRASES_WRITTEN.items()),
                             key=lambda pair: len(pair[0]), reverse=True)
_YUE_CHARS: Final = {ord(fold(k)): fold(v) for k, v in _YUE_CHARS_WRITTEN.items()}
_YUE_MARK: Final = re.compile(
    "[" + "".join(fold(k) for k in _YUE_CHARS_WRITTEN) + "仲喇]"
    "|(?:(?<![^\\W_])|(?<=[你我他她]))点[样解]|边个|边度|边到|而家"
    "|咪(?=再|send|发|传|烦|搞)")  # (not 一点样品; 咪 only as 别: 咪再发)
_YUE_HESITATION: Final = re.compile(r"唔(?=[ ,.;:!?~\n]|$)")  # set apart: 嗯 (唔，好吧)
_YUE_ZHONG: Final = re.compile("(?<!伯)仲(?!裁|介|夏)")  # 仲 = 还
_YUE_LA: Final = re.compile("喇(?!叭|嘛)")  # 喇 = 啦


def yue_to_mandarin(folded: str) -> str:
    """Folded text with written Cantonese function words in their Mandarin forms: one pass in C
    per phrase of the table, in a text that has a Cantonese mark."""
    if folded.isascii() or _YUE_MARK.search(folded) is None:
        return folded
    text = _YUE_HESITATION.sub("嗯", folded)
    text = _YUE_LA.sub("啦", _YUE_ZHONG.sub("还", text))
    for phrase, mandarin in _YUE_PHRASES:
        if phrase in text:
            text = text.replace(phrase, mandarin)
    if "点" in text:
        for how, mandarin in _YUE_HOW:
            text = how.sub(mandarin, text)
    return text.translate(_YUE_CHARS)
