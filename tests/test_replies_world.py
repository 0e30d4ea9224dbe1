"""Refusals in the languages read by lexicon, and the fail-safe reading of unread scripts
(app/rules/replies_world.py), through `classify_reply` as the gate uses it."""

from __future__ import annotations

import time

import pytest

from app.rules.replies import ReplyIntent, classify_reply
from app.rules.replies_world import plain, unread_script, world_refusal


@pytest.mark.parametrize("text", [
    "отписаться", "Не присылайте мне больше смс", "Удалите мой номер из базы", "СТОП",
    "Відпишіть мене", "Не надсилайте мені більше повідомлень",
    "إلغاء الاشتراك", "لا ترسل لي رسائل", "لغو عضویت", "دیگه پیام نده",
    "मुझे मैसेज मत भेजो", "कृपया मैसेज भेजना बंद करें", "আর মেসেজ পাঠাবেন না",
    "הסר", "תפסיקו לשלוח לי הודעות", "Σταματήστε να μου στέλνετε μηνύματα",
    "送らないでください", "配信解除お願いします", "この番号を削除してください", "メルマガ解除",
    "non voglio più ricevere SMS", "Non scrivetemi più", "cancellatemi dalla lista",
    "não quero mais receber", "descadastrar", "afmelden", "Ik wil geen berichten meer",
    "wypisz mnie", "Proszę nie wysyłać mi SMS", "mesaj göndermeyin", "SMS istemiyorum",
    "Acha kunitumia ujumbe", "band karo message bhejna", "Mujhe msg mat karo", "UNREG",
    "UNREG PROMO", "Bitte aus dem Verteiler nehmen", "odjava", "Přestaňte mi už posílat reklamy",
    "Boshqa SMS yubormang", "Gimana cara berhenti langganan SMS ini?",
    "Ka daina turo min sako", "unsubscribeme", "Comment puis-je me désinscrire ?",
])
def test_the_usual_refusals_of_other_languages_refuse(text: str) -> None:
    assert classify_reply(text).intent is ReplyIntent.UNSUBSCRIBE, text


@pytest.mark.parametrize(("text", "intent"), [
    # a short keyword refuses only among politeness
    ("Dur lütfen", ReplyIntent.UNSUBSCRIBE), ("durum nedir", ReplyIntent.NONE),
    ("huỷ", ReplyIntent.UNSUBSCRIBE), ("HUY BO", ReplyIntent.UNSUBSCRIBE),
    ("TU CHOI a", ReplyIntent.UNSUBSCRIBE), ("ยกเลิกค่ะ", ReplyIntent.UNSUBSCRIBE),
    ("ยกเลิกการจอง", ReplyIntent.NONE),
    ("Lopeta", ReplyIntent.UNSUBSCRIBE), ("RET", ReplyIntent.UNSUBSCRIBE),
    # no interest, alone, as "not interested" in English
    ("non mi interessa, grazie", ReplyIntent.UNSUBSCRIBE),
    ("no me interesa", ReplyIntent.UNSUBSCRIBE),
    ("kein Interesse, danke", ReplyIntent.UNSUBSCRIBE), ("No", ReplyIntent.NONE),
    ("Nein", ReplyIntent.NONE), ("Grazie mille!", ReplyIntent.NONE),
])
def test_short_keywords_refuse_only_standing_alone(text: str, intent: ReplyIntent) -> None:
    assert classify_reply(text).intent is intent, text


@pytest.mark.parametrize(("text", "intent"), [
    ("кто это?", ReplyIntent.UNSUBSCRIBE),  # unread, not harmless: fail safe
    ("Πάρτε με από τη λίστα", ReplyIntent.UNSUBSCRIBE),
    ("ఈ సందేశాలు నాకు వద్దు", ReplyIntent.UNSUBSCRIBE),  # Telugu: no lexicon at all
    ("Спасибо, не нужно", ReplyIntent.UNSUBSCRIBE),  # thanks, but a verb negated
    ("спасибо", ReplyIntent.NONE), ("Нет, спасибо", ReplyIntent.NONE),
    ("Сколько стоит?", ReplyIntent.NONE), ("Когда доставка?", ReplyIntent.NONE),
    ("شكرا، تم الاستلام", ReplyIntent.NONE), ("धन्यवाद", ReplyIntent.NONE),
    ("תודה רבה", ReplyIntent.NONE), ("Ευχαριστώ", ReplyIntent.NONE),
    ("не отписывайте меня", ReplyIntent.NONE),  # a refusal denied
    ("Если я отпишусь, баллы сгорят?", ReplyIntent.NONE),  # what refusing does, supposed
    ("配信停止したらポイントは消えますか？", ReplyIntent.NONE),
    ("Подписка платная?", ReplyIntent.NONE),  # what it costs, asked
    ("Отмените мой заказ", ReplyIntent.NONE), ("Помогите", ReplyIntent.NONE),
    ("Продолжайте, мне нравится", ReplyIntent.NONE),
])
def test_a_reply_in_a_script_no_rule_reads_refuses_unless_harmless(
        text: str, intent: ReplyIntent) -> None:
    assert classify_reply(text).intent is intent, text


def test_a_keyword_inside_a_longer_word_is_no_keyword() -> None:
    """(The learned reader may still read such a reply; the lexicon does not.)"""
    assert world_refusal(plain("lopetan työt klo 5")) is None  # Finnish: I stop work at 5
    assert world_refusal(plain("durum nedir")) is None and world_refusal(plain("secret")) is None


def test_an_unread_refusal_says_so_in_the_audit_trail() -> None:
    assert classify_reply("кто это?").keyword == "unread Cyrillic script"
    # shown in its own letters, not the Latin look-alikes the other rules read
    assert classify_reply("кто это?").normalised == "кто это"
    assert classify_reply("Не присылайте больше").normalised == "не присылайте больше"
    assert unread_script(plain("OK thank you very much, спасибо")) is None  # mostly Latin
    assert unread_script(plain("👍👍")) is None and unread_script(plain("12321")) is None


def test_plain_keeps_letters_and_drops_diacritics() -> None:
    assert plain("Присылайте ЁЖ") == "присылаите еж"
    assert plain("إلغاء") == "الغاء" and plain("ΔΙΑΓΡΑΦΉ") == "διαγραφη"
    assert plain("送らないで") == "送らないで"  # kana keep their voicing marks
    assert plain("사랑해요") == "사랑해요"  # Hangul syllables put back together


@pytest.mark.parametrize("letters", ["отпиши ", "لا ترسل ", "मत भेजो "])
def test_reading_is_linear(letters: str) -> None:
    """The whole reply is read here: 40,000 characters (the longest read) in milliseconds."""
    text = (letters * 40_000)[:39_999]
    started = time.perf_counter()
    classify_reply(text)
    elapsed = time.perf_counter() - started
    print(f"\n{letters.strip()} x 40,000 characters: {elapsed * 1000:.1f} ms")


@pytest.mark.parametrize(("text", "intent"), [
    ("Danke schön", ReplyIntent.NONE), ("Terima kasih", ReplyIntent.NONE),
    ("Merci, continuez de m'envoyer les bons plans", ReplyIntent.NONE),
    ("Bitte stornieren Sie meine Bestellung", ReplyIntent.NONE),
    ("いつも情報ありがとう、引き続きよろしくお願いします", ReplyIntent.NONE),
    ("Ne continuez pas à m'envoyer", ReplyIntent.UNSUBSCRIBE),  # negated: the reader reads it
    ("Danke, keine SMS mehr", ReplyIntent.UNSUBSCRIBE),
])
def test_thanks_keep_sending_and_orders_in_other_languages_are_kept_from_the_reader(
        text: str, intent: ReplyIntent) -> None:
    assert classify_reply(text).intent is intent, text
