"""The one text normaliser (app/rules/textnorm.py) that replies and content read through."""

from __future__ import annotations

import random
import re
import time
import unicodedata

import pytest

from app.rules import content, replies, t2s, textnorm
from app.rules.textnorm import compact, fold


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("ＴＤ", "td"), ("ＳＴＯＰ　ｐｌｅａｓｅ", "stop please"), ("００００", "0000"),
        ("退訂，謝謝", "退订,谢谢"), ("中獎", "中奖"), ("回覆TD退訂", "回复td退订"),
        ("請把我的號碼從名單裡刪除", "请把我的号码从名单里删除"),
        ("回\u200bT退订", "回t退订"), ("T\ufeffD", "td"), ("退\u00ad订", "退订"),
        ("S\u2060TOP", "stop"), ("T\U000e0041D", "td"), ("❤\ufe0f退订", "❤退订"),
        ("回复“TD”退订", '回复"td"退订'), ("「TD」", '"td"'), ("Don’t", "don't"),
        ("〖京东〗", "【京东】"), ("［京东］", "[京东]"), ("︻京东︼", "【京东】"),
        ("ТD", "td"), ("ЅТОР", "stop"), ("Straße", "strasse"), ("ﬁ", "fi"), ("①", "1"),
        ("", ""),
    ],
)  # fmt: skip
def test_fold(raw: str, folded: str) -> None:
    assert fold(raw) == folded


@pytest.mark.parametrize(
    ("raw", "packed"),
    [("T D", "td"), ("回复“TD”退订", "回复td退订"), ("回 T 退订", "回t退订"), ("中 奖", "中奖"),
     ("中。奖", "中奖"), ("中_奖", "中奖"), ("中😀奖", "中奖"), ("Reply STOP!", "replystop"),
     ("！？", "")],
)
def test_compact(raw: str, packed: str) -> None:
    assert compact(fold(raw)) == packed == textnorm.normalise(raw)


def test_every_format_character_is_removed() -> None:
    """Every Cf character of this interpreter's Unicode database, alone and inside a word."""
    for code in range(0x110000):
        ch = chr(code)
        if unicodedata.category(ch) == "Cf":
            assert fold(f"t{ch}d") == "td", hex(code)
    for code in [*range(0xFE00, 0xFE10), *range(0xE0100, 0xE01F0), 0x034F, 0x180B]:
        assert fold(f"t{chr(code)}d") == "td", hex(code)  # variation selectors, CGJ


def _reference(text: str) -> str:
    """fold without its shortcuts: the definition."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = textnorm._IGNORABLE_ASTRAL.sub("", text)
    return "".join(textnorm._TABLE[ord(ch)] or "" if ord(ch) < 0x10000 else ch for ch in text)


def test_the_shortcuts_are_the_definition() -> None:
    """ASCII text, the fast NFKC, no astral character: the same as the general path."""
    pieces = ["Reply STOP", "ＴＤ", "退訂", "，", "。", "\u200b", "😀", "\ufe0f", "Ω", "ß", "İ",
              "【", "〖", "“", "’", "ｶﾞ", "\U000e0041", " ", "a", "中", "Т"]
    rng = random.Random(7)
    texts = pieces + ["".join(rng.choices(pieces, k=rng.randrange(1, 8))) for _ in range(3000)]
    for text in texts:
        assert fold(text) == _reference(text), repr(text)


def test_fold_is_idempotent() -> None:
    samples = [t2s.TRADITIONAL, t2s.SIMPLIFIED, textnorm._QUOTES, "ＡＢＣ０１２ T D 退訂"]
    samples += [chr(c) for c in range(0x2000, 0x3100)]
    for text in samples:
        assert fold(fold(text)) == fold(text), repr(text)


def test_the_traditional_table() -> None:
    """One character to one; no character maps to itself or to another traditional one."""
    assert len(t2s.TRADITIONAL) == len(t2s.SIMPLIFIED) == len(set(t2s.TRADITIONAL)) > 3000
    assert not set(t2s.SIMPLIFIED) & set(t2s.TRADITIONAL)
    assert all(a != b for a, b in zip(t2s.TRADITIONAL, t2s.SIMPLIFIED, strict=True))


def test_the_rules_are_written_in_folded_characters() -> None:
    """A pattern character fold changes (覆, a traditional one) could never match."""
    for module in (replies, content):
        for name, value in vars(module).items():
            source = value.pattern if isinstance(value, re.Pattern) else value
            if isinstance(source, str):
                for ch in re.findall(r"[\u3400-\u9fff]", source):
                    assert fold(ch) == ch, f"{module.__name__}.{name}: {ch}"


def test_fold_is_linear(capsys: pytest.CaptureFixture[str]) -> None:
    """Each step is one pass: printed times for 1 MB, never asserted (shared machine)."""
    lines = []
    for shape, text in {"。 flood": "退订" + "。" * 340_000,
                        "traditional": "退訂太煩了別再發了謝謝你們的廣告，" * 20_000,
                        "zero-width between letters": "a\u200b" * 500_000,
                        "English": "please tell me when it arrives, thanks. " * 25_000}.items():
        started = time.process_time()
        folded = fold(text)
        compact(folded)
        lines.append(f"fold+compact 1MB: {(time.process_time() - started) * 1000:.1f} ms "
                     f"({shape})")
    with capsys.disabled():
        print("\n" + "\n".join(lines))


@pytest.mark.parametrize(
    ("raw", "folded"),
    [("安全帐户", "安全账户"), ("安全帳戶", "安全账户"), ("安全賬戶", "安全账户"),
     ("躺著赚钱", "躺着赚钱"),
     ("巅峯", "巅峰"), ("在綫", "在线"), ("在缐", "在线"), ("衞生", "卫生"),
     ("衛生", "卫生"), ("眾筹", "众筹"), ("這裡", "这里"), ("這裏", "这里"),
     ("囘复TD退订", "回复td退订"), ("中奨", "中奖"), ("戸口", "户口")],
)  # fmt: skip
def test_variant_characters_fold_together(raw: str, folded: str) -> None:
    assert fold(raw) == folded


def test_the_variant_table() -> None:
    """Each variant is one the traditional table leaves apart, and its target folds to itself
    (so fold stays idempotent and the rules' characters stay foldable)."""
    assert textnorm.VARIANTS
    for variant, standard in textnorm.VARIANTS.items():
        assert len(variant) == len(standard) == 1 and variant != standard
        assert variant not in t2s.TRADITIONAL, variant
        assert fold(standard) == standard, standard
        assert fold(variant) == standard, variant


@pytest.mark.parametrize(
    ("raw", "mandarin"),
    [
        ("唔該唔好再send嘢俾我", "请不要再send东西给我"), ("我唔退訂", "我不退订"),
        ("點樣先可以唔再收你哋啲短訊", "怎样才可以不再收你们的短讯"), ("回T冇用", "回t没用"),
        ("退訂咗仲send", "退订了还send"), ("嗰啲廣告我唔使喇", "那些广告我不用啦"),
        ("系唔系", "是不是"), ("唔，好吧", "嗯,好吧"),
        # Mandarin words kept whole, and Mandarin text untouched
        ("仲裁結果", "仲裁结果"), ("喇叭壞了", "喇叭坏了"), ("一点样品", "一点样品"),
        ("同我联系", "同我联系"), ("stop", "stop"),
    ],
)  # fmt: skip
def test_cantonese_reads_as_mandarin(raw: str, mandarin: str) -> None:
    assert textnorm.yue_to_mandarin(fold(raw)) == mandarin
