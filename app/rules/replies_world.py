"""Refusals in the languages the clause rules do not read, and replies in a script they cannot
read at all.

app/rules/replies.py reads Chinese, English and, through replies_intl.py, Spanish, French,
German, Vietnamese, Tagalog, Malay, Korean, Thai and pinyin, clause by clause. Recipients write
in many more. Here a lexicon of each language's usual refusals, read over the whole reply:
Russian, Ukrainian, Arabic, Persian, Urdu, Hindi and Hinglish, Bengali, Hebrew, Greek,
Japanese, Italian, Portuguese, Dutch, Polish, Czech, Romanian, Hungarian, Turkish, Swedish,
Norwegian, Danish, Swahili, and the carriers' UNREG. A short or ambiguous keyword (Turkish DUR,
RET, IPTAL; Vietnamese HUY, TU CHOI; Thai ยกเลิก) refuses only with nothing but politeness
around it, as CANCEL does in English.

FAIL SAFE for a script no rule reads (Cyrillic, Arabic, Hebrew, Greek, the Indic scripts and
any other): the gate cannot tell what such a reply says, so it is a refusal, unless it denies a
refusal (не отписывайте) or only thanks, agrees, or asks a price or a time (спасибо, شكرا,
धन्यवाद, сколько стоит?). A false stop costs one recipient's marketing for one tenant and a new
opt-in repairs it; a refusal missed cannot be.

The text read here is the raw reply in its own letters: NFKC, case folded, invisible characters
removed, diacritics removed (accents, Arabic and Hebrew vowel signs, Greek tonos, й → и),
Arabic letter variants unified (أ إ آ → ا, ى ی → ي, ک → ك, ة → ه). replies.py's folding maps
Cyrillic and Greek look-alikes to Latin letters, which suits disguised English keywords and
not these languages. Every function below takes the reply as `plain` gives it (computed once
per reply by replies.py). Every pattern is a single pass in C: time is linear in the reply.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

# Combining diacritics of the Latin, Greek, Cyrillic, Hebrew and Arabic scripts (accents, tonos,
# breve, vowel signs): removed. Marks that make letters in other scripts (kana voicing, Indic and
# Thai vowels) stay, and NFC puts back what NFD took apart (Hangul syllables, kana).
_MARKS: Final = re.compile(
    "[\u0300-\u036f\u0483-\u0489\u0591-\u05c7\u0610-\u061a\u064b-\u065f\u0670"
    "\u06d6-\u06ed\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]+")
_INVISIBLE: Final = re.compile("[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff]+")
_VARIANTS: Final = str.maketrans({"ى": "ي", "ی": "ي", "ې": "ي", "ک": "ك", "ة": "ه", "ۀ": "ه",
                                   "ە": "ه", "ـ": None, "ı": "i", "ł": "l", "ø": "o", "æ": "ae",
                                   "ß": "ss", "đ": "d", "œ": "oe"})


def plain(text: str) -> str:
    """The reply as this module reads it (see the module docstring)."""
    text = unicodedata.normalize("NFKC", text).casefold()
    if _INVISIBLE.search(text) is not None:
        text = _INVISIBLE.sub("", text)
    if not text.isascii():
        text = unicodedata.normalize(
            "NFC", _MARKS.sub("", unicodedata.normalize("NFD", text))).translate(_VARIANTS)
    return text


def readable(text: str) -> str:
    """The reply as the audit trail shows one read here: NFKC, case folded, invisible
    characters removed, whitespace collapsed; its letters are its own (replies.py's folding
    turns Cyrillic look-alikes into Latin letters)."""
    text = _INVISIBLE.sub("", unicodedata.normalize("NFKC", text).casefold())
    return " ".join(text.split())


def _rx(*parts: str) -> re.Pattern[str]:
    """One alternation, its source written in each language's own letters and read as `plain`
    reads a reply (so "присылайте" is matched in its unmarked form)."""
    return re.compile("|".join(plain(part) for part in parts))


# --- refusals, anywhere in the reply --------------------------------------------------------
_REFUSAL: Final = _rx(
    # Russian
    r"(?<!\w)(?:стоп|хватит|хорош|отстаньте|отвалите|достали|надоели|надоело)(?!\w)",
    r"(?<!\w)отпиш\w*|(?<!\w)отпис(?:ать|аться|ка|ке|ку|ываюсь|ывайте)\w*",
    r"(?<!\w)отказ\w*\s+от\s+(?:\w+\s+)?(?:рассыл|подписк|смс|sms|сообщен|уведомлен|реклам)",
    r"(?<!\w)не\s+(?:надо\s+|нужно\s+|смейте\s+)?(?:мне\s+)?(?:присылайте|присылать|пишите"
    r"|писать|отправляйте|отправлять|шлите|слать|звоните|беспокойте|беспокоить|спамьте)(?!\w)",
    r"(?<!\w)больше\s+не\s+(?:\w+\s+)?(?:присыла|пиш|отправля|шли|надо|нужно|хочу|звон|беспоко)",
    r"(?<!\w)(?:удалите|удалить|удали|уберите|убрать|исключите|исключить|вычеркните)\s+"
    r"(?:\w+\s+){0,2}?(?:мой|мои|моя|мое|меня|номер)",
    r"(?<!\w)спам\w*|(?<!\w)прекрат\w*|(?<!\w)перестаньте\w*",
    r"(?<!\w)(?:отмен|отключ)\w*\s+(?:\w+\s+)?(?:подписк|рассылк|смс|sms|уведомлен)",
    r"(?<!\w)жалоб\w*|(?<!\w)пожалуюсь|(?<!\w)роскомнадзор|(?<!\w)не\s+(?:надо|нужно)\s*$",
    r"(?<!\w)не\s+хочу\s+(?:больше\s+)?(?:получать|смс|sms|сообщени|рассылк|реклам)",
    # Ukrainian
    r"(?<!\w)відпиш\w*|(?<!\w)відпис(?:атися|ка|ку|уюсь)\w*|(?<!\w)досить(?!\w)",
    r"(?<!\w)не\s+(?:мені\s+)?(?:надсилайте|надсилати|пишіть|присилайте|турбуйте|шліть)(?!\w)",
    r"(?<!\w)припин\w*|(?<!\w)видаліть\s+(?:\w+\s+)?(?:номер|мене)|(?<!\w)більше\s+не\s+",
    r"(?<!\w)не\s+хочу\s+(?:більше\s+)?(?:отримувати|смс|повідомлен)",
    # Arabic
    "توقف|اوقف|ايقاف|وقف\\s*(?:الرسائل|الاعلانات|ال)|الغاء\\s*(?:ال)?اشتراك|كفى|كفايه|بطلوا|بس\\s*خلاص",
    "لا\\s*(?:ت|ي)?(?:رسل|رسلوا|رسلو|بعث|بعثوا|بعتو|بعت|راسل|تراسلني)|ما\\s*(?:ابي|ابغى|بدي)\\s*(?:رسائل|ال)",
    "لا\\s*اريد\\s*(?:ال)?(?:رسائل|اعلانات|هذه)|ازعاج|مزعج|سبام|شكوى|اشتكي|ساشتكي|بلاغ",
    "(?:احذف|احذفوا|امسح|امسحوا|ازاله|ازيلوا|شيل|شيلوا)\\s*(?:\\w+\\s*)?رقمي|ارفض",
    # Persian, Urdu
    "لغو\\s*(?:عضويت|اشتراك)|نفرستيد|نفرست(?!\\w)|ارسال\\s*نكنيد|پيام\\s*نده|پيامك\\s*نفرست"
    "|مزاحم|حذف\\s*(?:\\w+\\s*)?شماره|اسپم|نميخوام|نمي\\s*خواهم|نميخواهم",
    "بند\\s*(?:كرو|كريں|كر\\s*دو|كرديں)|مت\\s*بھيج|نہ\\s*بھيج|ميسج\\s*نہ|ان\\s*سبسكرائب|تنگ\\s*نہ",
    # Hindi (Devanagari), Bengali
    "बंद\\s*(?:करो|करें|करे|कीजिए|कर\\s*दो|करिए|करिये|कर\\s*दीजिए)|मत\\s*भेज|न\\s*भेज|ना\\s*भेज"
    "|नहीं\\s*चाहिए|नही\\s*चाहिए|रोको|रोकें|रोक\\s*दो|अनसब्सक्राइब|नंबर\\s*हटा|परेशान\\s*(?:मत|न)"
    "|शिकायत|स्पैम|बस\\s*करो|तंग\\s*(?:मत|न)",
    "বন্ধ\\s*কর|পাঠাবেন\\s*না|পাঠাবে\\s*না|পাঠাইও\\s*না|পাঠিও\\s*না|চাই\\s*না|আনসাবস্ক্রাইব"
    "|বিরক্ত|নম্বর\\s*মুছ|স্প্যাম|অভিযোগ",
    # Hebrew (הסר is Israel's legal opt-out word), Greek
    r"(?<!\w)(?:הסר|הסירו|להסיר|הסירוני|הפסק|הפסיקו|תפסיקו|ביטול|בטלו|ספאם|תלונה)(?!\w)"
    r"|(?<!\w)די(?:\s+(?:כבר|עם|לשלוח))?\s*$|(?<!\w)(?:אל|לא)\s+(?:\w+\s+)?(?:תשלחו|תשלח|לשלוח)(?!\w)"
    r"|(?<!\w)(?:מחקו|תמחקו|מחק)\s+(?:את\s+)?(?:המספר|אותי)",
    r"(?<!\w)(?:σταματ|διαγραφ|διαγραψ|απεγγραφ|απεγγραψ)\w*|(?<!\w)στοπ(?!\w)"
    r"|(?<!\w)μη(?:ν)?\s+(?:μου\s+)?στελν\w*|(?<!\w)φτανει(?!\w)",
    # Japanese
    "送らないで|送信しないで|配信しないで|送ってこないで|送ってくるな|送るな|配信(?:を)?(?:解除|停止|拒否"
    "|やめ|止め|いらない|要らない|不要)|受信(?:を)?拒否|登録(?:を)?解除|購読(?:を)?(?:解除|停止|やめ)"
    "|退会(?:し|す|さ|希望|お願い|します|したい)|番号(?:を)?(?:削除|消して|消去)|削除して(?:ください|下さい)"
    "|もう(?:いらない|要らない|結構|送らないで|やめて|止めて)|いらないです|いりません|要りません"
    "|迷惑(?:です|だ|なので|なんで)|やめて(?:ください|下さい|くれ)|止めて(?:ください|下さい)"
    "|しつこい|うざい|通報(?:する|します|しました)|ストップ|やめて(?:ほしい|欲しい)|止めて(?:ほしい|欲しい)"
    "|(?:メルマガ|メール|配信|dm|sms|ショートメール|ショートメッセージ|案内|広告|宣伝)(?:の|を|は)?(?:解除|停止"
    "|不要|拒否|お断り|いらない|要らない|止め|やめ|結構)|お断り(?:します|です|いたします|致します)"
    # 解除 asked for alone (解除してください): the subscription, not a lock (ロック解除)
    "|(?<!ロック)(?<!ロックを)(?<!ロックの)(?<!\\w)解除(?:して(?:ください|下さい|ほしい|欲しい)|お願いします"
    "|をお願いします|希望)",
    # Spanish in the vosotros form (replies_intl.py reads the rest), a 315 threat
    r"\b(?:quitadme|sacadme|borradme|eliminadme)\b|\bdejad\s+de\s+(?:enviar|mandar|escribir)\w*",
    "再发.{0,6}315|315\\s*见|去315|打315|告到315|315曝光|上315",
    # Italian
    r"\bnon\s+(?:voglio|vogliamo|desidero)\s+(?:piu\s+)?(?:ricevere|messaggi|sms|pubblicita)",
    r"\bnon\s+(?:mi\s+|ci\s+)?(?:mandate|inviate|scrivete|contattate|disturbate|mandare|inviare"
    r"|scrivere)\b(?:\s+piu\b)?|\bsmett\w*\s+(?:di|con)\b|\bcancellami\b|\bdisiscriv\w*"
    r"|\bcancella(?:te)?\s+(?:il\s+)?mio\s+numero|\brimuov\w*\s+(?:il\s+)?mio\s+numero"
    r"|\b(?:cancell|togl|rimuov|elimin|depenn)\w*(?:temi|mi)\b|\bnon\s+(?:mi\s+)?(?:mand|invi|scriv"
    r"|contatt|disturb)\w*\s+piu\b|\bbasta\s+(?:con\s+)?(?:\w+\s+)?(?:messaggi|sms|pubblicita)"
    r"|\b(?:cancell|annull|disdic)\w*\s+(?:la\s+)?(?:mia\s+)?(?:iscrizione|sottoscrizione)",
    # Portuguese
    r"\bdescadastr\w*|\bnao\s+(?:quero|desejo)\s+(?:mais\s+)?(?:receber|mensage\w*|sms|isso)"
    r"|\bnao\s+(?:me\s+)?(?:mandem|enviem|mande|envie|manda|envia)\s+mais\b"
    r"|\bpar(?:e|em|a)\s+de\s+(?:me\s+)?(?:mandar|enviar|manda|envia|mandarem)\w*"
    r"|\bcancel\w*\s+(?:a\s+|minha\s+)?(?:inscricao|assinatura)\b"
    r"|\b(?:remov|tir)\w*\s+(?:o\s+)?meu\s+numero|\bsair\s+da\s+lista\b"
    r"|\bchega\s+de\s+(?:mensage\w*|sms|propaganda)|\bme\s+(?:tira|tirem|remova|removam)\s+da",
    # Dutch
    r"\bafmeld\w*|\bafmelden\b|\buitschrijv\w*|\bschrijf\s+(?:me|mij)\s+uit\b"
    r"|\bmeld\s+(?:me|mij)\s+af\b|\bgeen\s+(?:sms\w*|berichten|reclame)\s+meer\b"
    r"|\bniet\s+meer\s+(?:sturen|sms\w*|appen|mailen|bellen)\b|\bstuur\s+(?:me\s+|mij\s+)?geen\b"
    r"|\bverwijder\w*\s+(?:mijn\s+nummer|mij)\b|\bhou\s+op\b",
    # Polish, Czech, Romanian, Hungarian
    r"\bwypis\w*|\bnie\s+(?:wysylaj\w*|przysylaj\w*|piszcie|pisz)\b|\brezygnuj\w*"
    r"|\bnie\s+chce\s+(?:wiecej\s+|juz\s+)?(?:sms\w*|wiadomosci|reklam|dostawac)"
    r"|\busun\w*\s+(?:moj\s+numer|mnie)\b|\bprzestan\w*\s+(?:mi\s+)?(?:wysyl|pisa|przysyl)\w*"
    r"|\bdosc\s+(?:juz\s+)?(?:tych\s+)?(?:sms\w*|wiadomosci|spamu)",
    r"\bodhlas\w*|\bnezasilej\w*|\bneposilej\w*|\bzrus\w*\s+odber\w*",
    r"\bdezabon\w*|\bnu\s+mai\s+(?:imi\s+)?(?:trimite\w*|vreau)|\bsterge\w*\s+numarul",
    r"\bleiratkoz\w*|\bne\s+kuldj\w*|\bne\s+irjanak\b",
    # Turkish
    r"\babonelik\w*\s+(?:iptal|cik\w*|sonlandir\w*)|\babonelikten\s+cik"
    r"|\b(?:gondermeyin\w*|gonderme|yollamayin\w*|yollama|atmayin\w*)\b"
    r"|\b(?:mesaj|sms|reklam)\w*\s+(?:\w+\s+)?istemiyorum|\bistemiyorum\s+(?:mesaj|sms|reklam)"
    r"|\brahatsiz\s+etme\w*|\bnumarami\s+sil\w*|\blisteden\s+cikar\w*|\bsikayet\w*"
    r"|\b(?:mesaj|sms)\w*\s+(?:gondermeyi|atmayi)\s+birak\w*",
    # Swedish, Norwegian, Danish
    r"\bavregistrer\w*|\bavsluta\b|\bsluta\s+(?:att\s+)?(?:skicka|sende|sms)\w*"
    r"|\bslutt\s+(?:a\s+)?send\w*|\bavmeld\w*|\bafmeld\w*|\bikke\s+send\w*|\bskicka\s+inte\b"
    r"|\bsend\s+(?:ikke|ikkje)\b|\bta\s+bort\s+mitt\s+nummer",
    # German, French, Indonesian (beyond replies_intl.py)
    r"\b(?:aus|von)\s+(?:dem|der|ihrem|ihrer|eurem|eurer)\s+(?:verteiler|liste|newsletter)\w*"
    r"|\bne\s+plus\s+(?:m|me|nous)\s*envoy\w*"
    r"|\bne\s+continu\w*\s+(?:plus|pas)\b|\bno\s+(?:sigan|siga|sigue|continuen|continue)\s+"
    r"(?:enviando|mandando)|\bnon\s+continu\w*\s+a\s+(?:mand|invi)\w*"
    r"|\bnicht\s+weiter\s+(?:senden|schicken|schreiben)"
    r"|\b(?:tidak|tak|gak|nggak|ga|enggak)\s+(?:mau|mahu|ingin|perlu)\s+(?:\w+\s+){0,2}?(?:terima"
    r"|dapat|sms|pesan|promo|iklan)",
    # Finnish, Croatian/Serbian/Bosnian, Catalan, Afrikaans
    r"\blopet(?:a|akaa|takaa)\b|\bperu\w*\s+tilau\w*|\ben\s+halua\s+(?:\w+\s+)?(?:viest|tekstiviest|mainos)\w*"
    r"|\bodjav\w*|\bprestan\w*\s+(?:\w+\s+){0,2}?(?:sal|slat|pis|posil|psat|zasil|otravov)\w*"
    r"|\bne\s+(?:mi\s+)?(?:saljite"
    r"|salji|saljete|pisite)\b|\bno\s+m\s*envieu\b|\bdeixeu\s+d\s*enviar\w*|\bkanselleer\b"
    r"|\bmoenie\s+(?:vir\s+)?my\s+(?:sms|boodskap)\w*",
    # Uzbek, Kazakh (Latin), Indonesian and Malay subscriptions
    r"\b(?:yubormang|yubormanglar|jonatmang|jibermen|jibermeniz)\w*"
    r"|\b(?:berhenti|henti|hentikan|batal\w*|stop)\s+(?:ber)?langgan\w*",
    # Hausa; French désinscrire (replies_intl.py reads désabonner); keywords run together
    r"\b(?:ku|ka|kiyi)\s+daina\s+(?:turo|aiko|tura)\w*|\bkar\s+(?:ku|ka)\s+(?:turo|aiko)\w*"
    r"|\bcomment\s+(?:\w+\s+){0,3}?(?:arret|stopp|bloqu|supprim)\w*\s+(?:\w+\s+){0,2}?(?:sms|messages"
    r"|textos|pubs?|notifications|envois)\b"
    r"|\bdesinscri\w*|\b(?:removeme|unsubscribeme|unsubme|optmeout|stoptexting|stopsending"
    r"|stopmessaging|takemeoff)\b",
    # Zulu and Yoruba (don't send me: ningangithumeleli; e ma fi ... ranse si mi mo)
    r"\b(?:ningangithumeleli|ungangithumeleli|ningangithumela|musani\s+ukungithumelela"
    r"|musa\s+ukungithumelela)\w*|\bma\s+(?:\w+\s+){0,3}?ranse\s+si\s+mi\b",
    # Czech (uz mi nepiste)
    r"\b(?:nepiste|nepis|nepisete|neotravujte|neobtezujte)\b",
    # Swahili
    r"\b(?:usinitumie|msinitumie|acha\s+kunitumia|acheni\s+kunitumia|jiondo\w*)\b"
    r"|\bsitaki\s+(?:tena\s+)?(?:ujumbe|meseji|sms|matangazo)|\bondoa\s+(?:namba|nambari)\s+yangu",
    # Hindi and Urdu in Latin letters (Hinglish)
    r"\b(?:band|bandh|bund)\s+(?:karo|kro|kar\s+do|kardo|kijiye|karein|karen|karna|kare|kr\s+do)\b"
    r"|\b(?:mat|mt|na|nahi|nhi)\s+(?:bhejo|bhejna|bhejiye|bheje|bhejein|bhejen|bhejiyega)\b"
    r"|\bbhejna\s+band\b|\b(?:message|msg|sms|messages)\s+(?:mat|band|bandh|na)\b"
    r"|(?<!unsubscribe\s)(?<!unsub\s)(?<!stop\s)(?<!block\s)\bmat\s+(?:karo|kro|bhejo)\b"
    r"|\b(?:nahi|nhi|nahin)\s+chahiye\b|\bpareshan\s+(?:mat|na)\s+kar\w*|\bnumber\s+hata\w*",
    # The carriers' unregister command (Malaysia, the Philippines, Indonesia): UNREG <service>
    r"^\s*unreg(?:ister)?\b",
)
# A keyword that refuses only with nothing but politeness around it.
_ALONE: Final = _rx(
    r"(?<!\w)(?:dur|ret|iptal|huy\s+bo|huy|tu\s+choi|dung\s+lai|stopp|stoppen|slutt|basta"
    r"|yeter|dosc)(?!\w)",
    "ยกเลิก|หยุด|ไม่เอา|ไม่สนใจ|ไม่ต้องการ",  # (Thai has no spaces between words)
    r"(?<!\w)(?:отмена|отменить|скасувати|الغاء|لغو|キャンセル|いらない|いりません|要らない|不要です"
    r"|結構です)(?!\w)")
_POLITE: Final = _rx(
    r"(?<!\w)(?:lutfen|artik|tesekkurler|sag\s+olun|please|pls|plz|thanks|thank\s+you|por\s+favor"
    r"|gracias|obrigad[oa]|merci|спасибо|дякую|شكرا|धन्यवाद|no|non|nao|nein|nee|нет|ні"
    r"|per\s+favore|grazie|bitte|danke|prosze|dziekuje|asante|tafadhali|ji|bhai|yaar|a|nhe|nha"
    r"|giup|em|anh|chi|voi|sms|mesaj|mesajlar|message|messages|tin\s+nhan|ok|okay|now|already"
    r"|alle|all|hepsi|tum)(?!\w)",
    "ครับผม|ครับ|ค่ะ|คะ|นะ|จ้า|เลย|ด้วย|ทั้งหมด")
# No interest, said with only politeness around it: a refusal, as "not interested" is in English.
_NO_INTEREST: Final = _rx(
    r"(?<!\w)(?:(?:mi\s+)?non\s+(?:mi\s+)?interessa(?:no)?|nao\s+(?:tenho|tem)\s+interesse"
    r"|nao\s+me\s+interessa|no\s+me\s+interesa(?:n)?|no\s+estoy\s+interesad[oa]|geen\s+interesse|kein\s+interesse|pas\s+interesse|ilgilenmiyorum"
    r"|(?:мне\s+)?не\s+интересн\w*|не\s+интересует|не\s+цікаво|nie\s+jestem\s+zainteresowan\w*"
    r"|nie\s+interesuje\s+mnie|inte\s+intresserad|ikke\s+interessert|ikke\s+interesseret"
    r"|(?:saya\s+)?tidak\s+tertarik|sivutiwi|sina\s+hamu)(?!\w)",
    "غير\\s*مهتم|مش\\s*مهتم|لست\\s*مهتما?|दिलचस्पी\\s*नहीं|रुचि\\s*नहीं|興味(?:が)?(?:ありません|ない|なし)"
    "|לא\\s*מעוניי[נן]|δεν\\s*(?:με\\s*)?ενδιαφερ\\w*")
# A refusal word denied: not a refusal, and not an unread reply either.
_DENIED: Final = _rx(
    r"(?<!\w)не\s+(?:надо\s+|нужно\s+|хочу\s+|буду\s+|стоит\s+)?(?:меня\s+)?(?:отпис|отмен|удал|відпис)",
    "(?:لا|ما)\\s*(?:اريد|ابي|ابغى|بدي|تلغي|تلغوا)\\s*(?:ال)?(?:الغاء|توقف|ايقاف)",
    "बंद\\s*(?:मत|न)\\s*कर|मत\\s*रोको",
    "(?:解除|停止|中止|やめ|止め)(?:は|を)?(?:しないで|しない|ないで)",
    r"\bnon\s+(?:voglio\s+)?(?:disiscriv|cancell)\w*|\bnao\s+(?:quero\s+)?(?:descadastr|cancel)\w*"
    r"|\bne\s+(?:\w+\s+){0,2}?pas\s+(?:\w+\s+){0,2}?desinscri\w*"
    r"|\bniet\s+(?:afmeld|uitschrijv)\w*|\bnie\s+(?:chce\s+)?(?:wypis|rezygn)\w*",
    r"(?<!\w)(?:אל|לא)\s+(?:\w+\s+)?(?:להסיר|תסירו|תבטלו|לבטל)(?!\w)",
)

# A question about what refusing does, supposed (配信停止したらポイントは消えますか？, если я
# отпишусь, ...): not a refusal.
_SUPPOSED: Final = _rx(
    "(?:解除|停止|退会|拒否|やめ)(?:を)?(?:したら|すれば|すると|した場合|しても|たら)",
    "(?:거부|차단|탈퇴|취소|해지)\\s*(?:하면|되면|해도|하면은|할\\s*경우)",
    r"(?<!\w)если\s+(?:я\s+)?(?:отпиш|откаж|відпиш)",
    r"\b(?:unsubscribe|stop|band|cancel|optout|opt\s+out)\s+(?:karne|karu|karoon|karunga|kiya"
    r"|kar\s+diya|karne\s+par)\s+(?:se|to|par|pe)\b",
    r"\bse\s+(?:eu\s+|io\s+)?(?:me\s+|mi\s+)?(?:descadastr|cancel|disiscriv)\w*",
)

# A question what refusing costs or means (Отписка платная?, 退会は有料ですか): with a question
# mark, not a refusal.
_ASKED_ABOUT: Final = _rx(
    r"(?<!\w)(?:платн\w*|бесплатн\w*|стоит|стоимость|значит|означает|платн\w*|безкоштовн\w*)(?!\w)",
    "مجاني|بفلوس|يعني|رسوم|料金|有料|無料|意味|どうなり|पैसे|चार्ज|मतलब",
    r"\b(?:custa|cobra|cobrado|gratis|significa|costa|costo|kost|kosten|betekent|bedeutet|kostet"
    r"|kosztuje|platne|znaczy|ucretli|ucret|ucretsiz|demek|biaya|bayar|gratuit|payant|signifie)\b",
)

# --- what an unread reply may say without refusing ------------------------------------------
# Thanks, yes, fine, received, and questions of price, time or place (not "why" or "who":
# "why do you text me" and "who gave you my number" are complaints).
_HARMLESS: Final = _rx(
    r"(?<!\w)(?:спасибо|благодар\w*|спс|ок|окей|хорошо|да|ладно|понял|поняла|принято|получил"
    r"|получила|сколько|цена|цены|стоимость|когда|где|дякую|так|добре|скільки|ціна|коли|де"
    r"|помощь|помогите|допомога|продолжа\w*|присылайте|заказ\w*|брон\w*|запис\w*|доставк\w*"
    r"|билет\w*|замовлен\w*)(?!\w)",
    "مساعده|ساعدني|طلب|حجز|موعد|استمر|كمل|ارسلوا|كمك|ادامه",
    "मदद|सहायता|ऑर्डर|बुकिंग|भेजते\\s*रहो|সাহায্য|অর্ডার",
    r"(?<!\w)(?:עזרה|הזמנה|תור|המשיכו)(?!\w)|(?<!\w)(?:βοηθεια|παραγγελια|κρατηση|συνεχιστε)(?!\w)",
    "شكرا|شكر|مشكور|تم|حسنا|نعم|اوكي|تمام|استلمت|وصل|السعر|بكم|كم\\s*(?:السعر|سعر|ثمن)|متى|اين"
    "|ممنون|مرسي|متشكرم|باشه|بله|قيمت|چند|كي|كجا|شكريه|ٹھيك|جي\\s*ہاں",
    "धन्यवाद|शुक्रिया|ठीक\\s*है|हाँ|हां|कितना|कितने|कीमत|कब|कहाँ|कहां",
    "ধন্যবাদ|ঠিক\\s*আছে|হ্যাঁ|কত|দাম|কবে|কোথায়",
    r"(?<!\w)(?:תודה|כן|אוקיי|בסדר|כמה|מחיר|מתי|איפה)(?!\w)",
    r"(?<!\w)(?:ευχαριστω|ναι|εντα[ξχ]ει|ποσο|τιμη|ποτε|που)(?!\w)",
)
# A verb negated (не нужно, मत, δεν θέλω, لا ت…): the reply says it does not want something, which
# its thanks do not make harmless.
_NEGATED_VERB: Final = _rx(
    r"(?<!\w)(?:не|δεν|μην|μη)(?!\w)|मत|नहीं|नही|লাগবে\s*না|না\s*(?:চাই|লাগবে)",
    "(?<!\\w)(?:لا|ما|مش|لن)\\s*(?:ت|ي|ن|ابي|ابغى|بدي|عايز|اريد)|(?<!\\w)אל\\s+ת")
# Letters of the scripts replies.py reads (Latin, Han, kana, Hangul, Thai, bopomofo): any other
# letter is one of an unread script.
_UNREAD_LETTER: Final = re.compile(
    "[^\\W\\d_a-z\u00c0-\u024f\u1e00-\u1eff\u0e00-\u0e7f\u3040-\u30ff\u3100-\u312f\u31a0-\u31ff"
    "\u3400-\u9fff\uf900-\ufaff\uac00-\ud7af\u1100-\u11ff\u3130-\u318f\uff00-\uffef"
    "\U00020000-\U0003134f]")
_LETTER: Final = re.compile(r"[^\W\d_]")
_SCRIPTS: Final = (("\u0400", "\u052f", "Cyrillic"), ("\u0590", "\u05ff", "Hebrew"),
                   ("\u0600", "\u08ff", "Arabic"), ("\u0370", "\u03ff", "Greek"),
                   ("\u0900", "\u0dff", "Indic"))


def world_refusal(text: str) -> str | None:
    """The refusal in a reply written in one of the languages above, if any. After a refusal
    supposed in a question, the rest of the reply is read without it (配信停止したら…？配信停止
    してください refuses)."""
    rest = after_supposition(text)
    if rest is not None:
        return world_refusal(rest) if _LETTER.search(rest) is not None else None
    if _DENIED.search(text) is not None or _SUPPOSED.search(text) is not None or (
            "?" in text and _ASKED_ABOUT.search(text) is not None):
        return None
    found = _REFUSAL.search(text)
    if found is not None:
        return found.group().strip()
    alone = _ALONE.search(text) or _NO_INTEREST.search(text)
    if alone is not None:
        rest = _POLITE.sub(" ", f"{text[:alone.start()]} {text[alone.end():]}")
        if _LETTER.search(rest) is None:
            return alone.group()
    return None


def after_supposition(text: str) -> str | None:
    """The reply without a refusal it supposes in a question (what comes before the
    supposition and after its question mark), or None if it supposes none."""
    found = _SUPPOSED.search(text)
    if found is None:
        return None
    mark = text.find("?", found.end())
    return None if mark < 0 else f"{text[:found.start()]} {text[mark + 1:]}"


def supposes(text: str) -> bool:
    """Whether the reply supposes a refusal in a question about what it does (配信停止したら…？,
    unsubscribe karne se mera cashback jayega kya?): not a refusal, whatever word it holds."""
    return "?" in text and _SUPPOSED.search(text) is not None


def denies(text: str) -> bool:
    """Whether the reply denies a refusal word in one of the languages above, or supposes one
    in a question about what it does: the learned reader leaves it."""
    return _DENIED.search(text) is not None or _SUPPOSED.search(text) is not None


def unread_script(text: str) -> str | None:
    """The script of a reply written mostly in letters no rule reads (Cyrillic, Arabic, ...)."""
    unread = _UNREAD_LETTER.findall(text)
    if len(unread) < 2 or 2 * len(unread) < len(_LETTER.findall(text)):
        return None
    return next((name for low, high, name in _SCRIPTS if low <= unread[0] <= high), "other")


def harmless(text: str) -> bool:
    """Whether an unread reply only thanks, agrees, or asks a price, a time or a place, or
    denies a refusal: not a refusal (any other unread reply is one, fail safe)."""
    if _DENIED.search(text) is not None or _SUPPOSED.search(text) is not None or (
            "?" in text and _ASKED_ABOUT.search(text) is not None):
        return True
    return _HARMLESS.search(text) is not None and _NEGATED_VERB.search(text) is None


# What the learned reader must not read as a refusal in another language: a reply that only
# thanks (Danke, Merci beaucoup, Terima kasih), one that asks to keep the messages coming
# (Continuez à m'envoyer vos offres), or one that cancels an order or a booking it names and
# no messages (Bitte stornieren Sie meine Bestellung). Trained mostly on refusals, the reader
# scores rare foreign words high.
_THANKS_ONLY: Final = re.compile(plain(
    r"(?:(?:danke|vielen|dank|schon|sehr|merci|beaucoup|gracias|muchas|mucho|grazie|mille"
    r"|obrigad[oa]|muito|thanks|thank|you|so|much"
    r"|dziekuje|bardzo|tesekkurler|tesekkur|ederim|terima|kasih|banyak|cam\s+on|salamat|po"
    r"|tack|takk|tak|dank|je|u|wel|asante|sana|shukriya|dhanyavaad|dhanyawad|arigato|spasibo"
    r"|kiitos|hvala|multumesc|koszonom|efharisto|toda|shukran|ok|okay|oke|d'accord|daccord|va"
    r"|bene|bom|bien|gut|super|top)[\s,.!~]*)+"))
_KEEP_SENDING: Final = _rx(
    r"\bcontinu\w*\s+(?:a|de|d)?['\s]*(?:m|me|nous|mi|ci)?['\s]*(?:envoy|mand|invi|envi|scriv)\w*"
    r"|\bweiter\w*\s+(?:so|senden|schicken|zusenden)\b|\b(?:sigan|sigue|siga)\s+(?:enviando|mandando)\b"
    r"|\bcontinue(?:m)?\s+(?:a\s+)?(?:enviar|mandar)\w*|\bblijf\s+\w*\s*(?:sturen|sms\w*)"
    r"|\b(?:lanjutkan|teruskan|tiep\s+tuc\s+gui|ituloy)\b|\bbhejte\s+(?:raho|rahiye|rahna|rahen)\b",
    "これからも(?:よろしく)?お願い|引き続き(?:よろしく|お願い|送って)|また送って|もっと送って|今後とも"
    "|계속\\s*보내")
_ORDER_CANCELLED: Final = _rx(
    r"\b(?:stornier\w*|storno|annul\w*|anul\w*|cancel\w*|iptal|odwol\w*|anuluj\w*)\b.*"
    r"\b(?:bestellung|termin|buchung|reservierung|pedido|reserva|cita|commande|rendez\s*vous"
    r"|reservation|ordine|prenotazione|appuntamento|siparis\w*|randevu\w*|rezerwacj\w*"
    r"|zamowieni\w*|wizyt\w*|bestelling|afspraak|reservering|encomenda|agendamento|order|orders"
    r"|booking|appointment|appt)\b"
    r"|\b(?:bestellung|termin|buchung|reservierung|pedido|reserva|cita|commande|ordine"
    r"|prenotazione|appuntamento|encomenda)\b.*\b(?:stornier\w*|annul\w*|anul\w*|cancel\w*)\b",
)
_FOREIGN_MESSAGES: Final = re.compile(
    r"\b(?:sms|nachricht\w*|mensaje\w*|messag\w*|mensage\w*|wiadomosc\w*|mesaj\w*|bericht\w*"
    r"|newsletter|werbung|publicit\w*|promo\w*|texto\w*|texts?|txts?|msgs?|ads|marketing|spam)\b")


def kept_from_reader(text: str) -> bool:
    """Whether the learned reader must leave this reply (see above)."""
    if _RESUBSCRIBES.search(text) is not None:
        return True
    if _THANKS_ONLY.fullmatch(text.strip(" ,.!~")) is not None:
        return True
    if _KEEP_SENDING.search(text) is not None and _NEGATED_KEEP.search(text) is None:
        return True
    return _ORDER_CANCELLED.search(text) is not None and _FOREIGN_MESSAGES.search(text) is None


# ...or asks to subscribe again (Réabonnement svp, suscribirme de nuevo, wieder anmelden).
_RESUBSCRIBES: Final = re.compile(
    r"\bre\s*abonn\w*|\breinscri\w*|\bvolver\s+a\s+suscrib\w*|\bsuscrib\w*\s+de\s+nuevo"
    r"|\bwieder\s+(?:an|ein)(?:melden|tragen)\w*|\breinscrev\w*|\bri\s*iscriv\w*|\bherinschrijv\w*"
    r"|\bphir\s+se\s+(?:\w+\s+){0,3}?(?:bhej\w*|shuru|chalu|start)\b")
_NEGATED_KEEP: Final = re.compile(r"\b(?:ne|pas|nicht|no|non|nao|niet|nie|jangan|khong)\b")
