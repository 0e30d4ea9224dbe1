"""Classify MO (mobile-originated) SMS replies: unsubscribe, resubscribe, help, or nothing.

Every reply in the stream goes through `classify_reply`: pure, synchronous, no I/O, linear in
the length of the reply and bounded (the longest reply it reads, 40,000 characters, takes
milliseconds; see "Bounded time" below).

The principle is FAIL SAFE. A missed refusal means marketing goes on to a person who said stop
(MIIT: once the user refuses, sending must stop; FCC 2025: revocation "by any reasonable
means"); a false one costs one recipient's marketing for one tenant until a new opt-in. So a
reply is read by meaning, not matched against listed strings:

1. Normalise once (app/rules/textnorm.py): invisible characters removed, NFKC (full width), case
   folded, traditional → simplified, variant characters, quote and bracket look-alikes
   unified; written Cantonese function words to Mandarin (唔 → 不, 冇 → 没, 咗 → 了, 嘢 → 东西,
   俾 → 给, 呢啲 → 这些, 点样 → 怎样), so every rule reads Cantonese with its negation kept
   (唔退订 is 不退订). Letters typed apart are joined ("T D", "S T O P"), a letter held down is one
   ("stooop"); a long English keyword with one typing slip is the keyword (unsubscrbe,
   unsubsribe, opt ot, cancle; see "typing slips"), STOP only swapped or doubled (stpo, stopp).
   A refusal word in disguise is the word: pinyin (tuiding, ju shou, bu yao tuiding keeps its
   negation), accents (tuì dìng), digits or symbols for letters (st0p, $top), a near character
   standing alone (退丁, 据收, 拒受), split by what it did (退完订 is 退订了).
2. Split into clauses at sentence punctuation and line breaks. The reply is an UNSUBSCRIBE
   when any clause refuses:
   - a keyword: R, T, TD, N, 0000 (four or more zeros), 退订, 拒收, 取消订阅, STOP, STOPALL,
     UNSUBSCRIBE, CANCEL, END, QUIT, REVOKE, OPTOUT, ARRET, repeated, quoted, spaced, or in the
     instruction chain (回复TD退订, 退订回T, 拒收请回复R), with any reason, politeness or
     emotion around it ("TD 不需要", "退订太烦了", "stop please not interested"); a code or a
     refusal word set apart at the start of a Chinese clause refuses whatever follows ("TD 一天
     发八百条有意思吗", "退订 什么玩意") unless that asks about the code (TD 是什么意思) or what
     refusing does (退订 会员还有效吗), or names a booking (退订 酒店房间);
   - a refusal in plain words, to me or to this number: 别再发了, 不要给我发短信, 以后别往这个号
     发, 不想收到, 不需要这些广告, 取消这个短信, 请勿打扰, 我不要这些东西, 能不能不发了; stop
     texting me, no more messages, don't text this number, leave me alone, I don't want these
     texts, I don't want this crap, can you guys not text me; politely or indirectly: would you
     mind not texting me, I'd rather not receive these, no need to send me these anymore,
     spare me, 能不能消停点, 歇歇吧, 放过我吧, 饶了我吧;
   - a request to be off a list, or not on it: 把我的号码删了, 从名单里删除, 删号, 别把我加到你们
     的发送列表, 我不想在你们的名单上; remove my number, take me off your list, number pls
     remove, remove my hp no.; the number changed hands: 此号码已换人, 号码已转让，请移除 (a
     removal with only politeness stands alone), 这个号不是某某的了, this number has a new owner,
     not Karen's number anymore; consent withdrawn in PIPL's words (我撤回同意, 撤销授权, 收回对
     你们的授权; withdraw my consent);
   - a complaint or report, done or threatened: 投诉, 已举报, 检举, 告你们, 报警, 12321, 12315,
     工信部, 消协, 消委会, 骚扰, 垃圾短信, 天天发, 退订了还发, 为什么还传, 回T根本没用, 拉黑,
     烦死了, 滚, 我没订阅过, 哪来的我的号码; report you, file a complaint, the FCC, spam,
     harassment, wrong number, I never signed up, why do you keep texting me, your STOP
     doesn't work; a spam report told: forwarded to 7726, reported as spam, blocked and
     reported, 已拉黑并举报; a refusal ignored: 不是已经退订了吗, 怎么又来了, 结果又收到, didn't I
     already unsubscribe, support told me I was removed;
   - a refusal recounted, fail safe: 我早就退订了, 已经拒收过了, I opted out already;
   - a question HOW, or by what means, to refuse: 怎么退订, 有没有办法不再收到, 退订回复什么, how
     do I stop these, is there a way to opt out, what do I text to stop these, or how to make
     them stop (要怎样你们才不发, 怎么才能不让你们发短信给我, 要回咩先唔会再收到, how do I make
     you stop, what do I need to do to not get these): asking twice is the obstruction MIIT
     forbids;
   - the wrong person: 你们发错人了, 我不是张先生, 这号码我刚办的, I am not Sarah; a regulator or
     the law by name in any region (通传会, 消保官, 个资法, 申诉, 告你们侵犯隐私, OFCA, PDPC, ICO,
     NCC, legal action); a refusal done and messages still coming (取消订阅了为什么还有短信, 回了
     TD三次了还有); a refusal word typed apart (退~订, 拒-收) or slipped in pinyin with only
     politeness around it (退丁, 腿订, 推订谢谢);
   - annoyance or harassment at the messages or the sender, in any words (刷屏, 闲的吗, 收皮,
     these texts are so annoying, sick of your promos, you're blowing up my phone), not at a
     purchase; a weak keyword first and urged whatever follows (QUIT pls my phone is buzzing);
     a keyword recounted (I replied END and you kept going, 说了多少遍了); the halt inside polite
     particles (拜托 停了吧), not to be told or reminded (不用通知我了);
   - in another language (app/rules/replies_intl.py): Spanish (ALTO, BAJA, no me manden más,
     deja de enviarme, dénme de baja, sácame de tu lista, ¿cómo dejo de recibir...?, ya les
     dije), French, Vietnamese, Tagalog, Korean (수신거부), Mandarin in pinyin (bu yao zai fa
     le); dialect negators read as 不要 (覅, 嫑, 勿要, 毋通); and, over the whole reply, the
     usual refusals of two dozen more (app/rules/replies_world.py: отпишите, لا ترسل, मत भेजो,
     配信停止, non scrivetemi più, descadastrar, afmelden, UNREG); a reply in a script no rule
     reads (Cyrillic, Arabic, Hebrew, Greek, Indic...) refuses, fail safe, unless it only
     thanks, agrees or asks a price or a time, or denies a refusal;
   - FALLBACK, when no rule above matched: a stop or unwanted cue (停止, 别, 不要, 勿, 甭, 够了,
     烦, 删, 退, 拒; stop, cease, no further, never want, don't want, remove, unlist, block) and
     a messaging object (发, 传, 推, 短信, 广告, 营销, 通知, 号码, 联系, 打扰; messages,
     communication, hear from, email, marketing, list, number) close together in one clause
     (请停止向本号码发送营销短信, please cease all communication), unless the cue is negated as a
     whole (没说过不要发), something else (停车, 别忘了, 麻烦, 退款, 不想换号码), or the clause
     asks what refusing does, is commerce (别发顺丰, 别发货) or someone else's words (他说别发),
     negates a refusal word (不要退订我的号码) or asks to keep the messages (不拒收 照常发).
3. A keyword clause does not refuse when
   - it is negated: a negator right before it (不退订, 不要退订, 千万不要把我退订, 我没说要退订,
     don't stop, never unsubscribe) or before what is removed (不要把我从名单里删掉); punctuation
     ends a negation ("不，退订" refuses, "不 退订" does not);
   - it echoes an offer and declines it, set apart by punctuation ("Unsubscribe? No, keep them
     coming", "退订？不用不用，继续发"): the rest is read alone, so "退订？不要再发了" refuses;
   - it asks ABOUT unsubscribing (退订收费吗, TD是什么意思, 回TD是退订吗, does STOP cost
     anything, what is TD) or supposes it (如果退订，会员还有效吗; if I unsubscribe will I lose
     my points?); a request is no such question (能帮我退订吗, can I unsubscribe?);
   - it is commerce: 退订/取消/cancel of an order, booking, ticket, room (退订酒店, 退订饭店, 我要
     退订单, 退订会议室, 帮我cancel了个booking, cancel my order, "CANCEL - dentist appt"), or a
     deposit (退订金, 退定金);
   - a letter code or a weak English keyword (cancel, end, quit, revoke) is part of other words:
     "T恤", "TD银行", "R u there", "the end of the month", "stop by tomorrow", "bus stop".
   English keywords: STOP-like ones (stop, unsubscribe, opt out) refuse wherever they are
   commands; weak ones (cancel, end, quit, revoke, the letter codes) only with nothing but
   politeness, emotion, a reason or messages around them ("cancel please", "end these texts").
4. Otherwise RESUBSCRIBE (START, UNSTOP, YES, SUBSCRIBE, 订阅, 重新订阅, 恢复接收, 取消退订,
   opt me back in, put me back on the list, resume my texts) if
   every clause is one or mere politeness (a resubscribe must stand alone: "No, YES" is none),
   HELP (HELP, INFO, 帮助, 求助) if a clause is one, else NONE. Unsubscribe wins, but for:
5. RESUBSCRIBE when a reply recounts or undoes an EARLIER unsubscribe and explicitly asks to
   subscribe again (之前退订了，现在想重新订阅; 取消之前的退订; I opted out last year but want
   texts again): every clause is read again without the request and the recounted refusal,
   and any clause that still refuses wins ("I unsubscribed and you still text me", 之前退订了，
   不想重新订阅 are unsubscribes).

Judgment calls (NONE): Y, 是, 好的, 1, 000, NO, "no thanks" and 开通 alone answer a question or
an offer. (UNSUBSCRIBE, fail safe): 取消 and 拒绝 alone, as CANCEL alone (the gate cannot see
the booking they might answer); a whole reply saying only that it has no interest or need, with
politeness ("not interested, thanks", 不需要, 不要了谢谢, 没兴趣, no me interesa); a code set
apart from the word it belongs to ("T 恤多少钱", "N 年没用过了") reads as a code.
Scope is "all" only for STOPALL and an English keyword followed by ALL (STOP ALL,
UNSUBSCRIBE ALL); 全部退订 means everything from this sender.

A learned second reader (app/rules/reply_model.py) reads every reply these rules leave as
nothing or a help request; a refusal it finds with probability 0.9 or more is an UNSUBSCRIBE,
its keyword "learned P: n-grams". It only widens: rules' refusals and resubscribes stand, and
it does not override a refusal word denied (不用退订, "I do not wish to unsubscribe").

Bounded time: every step is a linear pass in C or reads one clause. Clauses are found from
their trigger words (the text between is skipped), and each distinct clause is read once. Two
limits no person's SMS reaches are refusals, fail safe: a reply over MAX_REPLY_CHARS (longer
than 255 concatenated parts can be; not read), and over ANALYSIS_BUDGET characters of
trigger-holding clauses.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from app.rules.replies_intl import (
    HANGUL_TRIGGERS,
    LATIN_TRIGGERS,
    LATIN_WORD_TRIGGERS,
    THAI_TRIGGERS,
    foreign_denied,
    foreign_refusal,
)
from app.rules.replies_world import (
    after_supposition,
    denies,
    harmless,
    kept_from_reader,
    plain,
    readable,
    supposes,
    unread_script,
    world_refusal,
)
from app.rules.reply_model import packaged
from app.rules.textnorm import fold, yue_to_mandarin


class ReplyIntent(StrEnum):
    """What the sender must do with the reply; the values are stable audit-log strings."""

    UNSUBSCRIBE = "unsubscribe"
    RESUBSCRIBE = "resubscribe"
    HELP = "help"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class ReplyClass:
    """What a reply asks for. `keyword` and `normalised` go into the audit trail."""

    intent: ReplyIntent
    scope: str  # "sender" normally; "all" for STOPALL (every tenant and category but verification)
    keyword: str | None
    normalised: str


_LEARNED: Final = packaged()  # the learned second reader, read once (reply_model.py)
SCOPE_SENDER: Final = "sender"
SCOPE_ALL: Final = "all"
MAX_REPLY_CHARS: Final = 40_000  # over the 39,015 of the longest SMS (255 parts of 153)
TOO_LONG_KEYWORD: Final = "(longer than any SMS)"
ANALYSIS_BUDGET: Final = 4_096  # characters of trigger-holding clauses read in one reply
BUDGET_KEYWORD: Final = "(too many refusal-like clauses)"
SHORT_REPLY: Final = 1_000  # longer replies are never a resubscribe or a help request
AUDIT_CHARS: Final = 1_000  # `normalised` shows at most this much of the reply
KEYWORD_CHARS: Final = 32


def _split(text: str) -> list[str]:
    return text.split()


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


def _alt(words: list[str] | tuple[str, ...]) -> str:
    """Regex alternation, longest first (so "stop all" wins over "stop")."""
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


# --- text shape ----------------------------------------------------------------------------
_WORD: Final = re.compile(r"[^\W_]")
_NOT_WORD: Final = re.compile(r"[\W_]+")
_ODD_SPACE: Final = re.compile(r"\s{2,}|[^\S ]")
_HELD_LETTER: Final = re.compile(r"([a-z])\1{2,}")  # "stooop" → "stop", "tttt" → "t"
_CJK: Final = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
# Sentence punctuation and line breaks end a clause; a dot only when not inside a word or
# number ("R.I.P", "3.5", "t.cn" are one clause), a hyphen only set apart by spaces. Each
# alternative starts with its literal, so a search skips the text between in C.
_SEP_ONE: Final = "|".join(
    [re.escape(c) for c in ",;:!?。、()<>{}~\n\r\t\u2013\u2014\u2026"]
    + [r"\.(?<![a-z0-9]\.)", r"\.(?![a-z0-9])", r"-(?<=\s-)-*(?=\s)"])
_SEP: Final = re.compile(_SEP_ONE)  # (symmetric: it finds the same in the reversed text)
_SEP_RUN: Final = re.compile(f"(?:{_SEP_ONE})+")

# --- typing slips ----------------------------------------------------------------------------
# A long English keyword with one slip after its first letter (a letter dropped, doubled or
# added, two neighbours swapped, one wrong) is still that keyword: unsubscrbe, unsubsribe,
# optot, cancle. Only long keywords: a short word is one slip from too many others (step,
# shop, top), so STOP counts only swapped or doubled (stpo, sotp, stopp). Real words among the
# slips (cancer, remote, deleted) are words, not slips.
_SLIP_STRONG: Final = ("unsubscribe", "optout", "stopall")  # refuse as the keyword would
_SLIP_WEAK: Final = ("cancel", "revoke", "remove", "delete")  # only among politeness
_NOT_SLIPS: Final = _words(
    "cancer cancels chancel remote removes removed remover revote revoked revokes delate "
    "deletes deleted deleter stoop")
_LETTERS: Final = "abcdefghijklmnopqrstuvwxyz"


def _slips(word: str) -> list[str]:
    """Every word one slip from `word` that keeps its first letter (the word itself too)."""
    out = [word]
    for i in range(1, len(word) + 1):
        out += [word[:i] + c + word[i:] for c in _LETTERS]  # added, or doubled
        if i < len(word):
            out += [word[:i] + c + word[i + 1:] for c in _LETTERS]  # wrong
            out.append(word[:i] + word[i + 1:])  # dropped
        if i + 1 < len(word):
            out.append(word[:i] + word[i + 1] + word[i] + word[i + 2:])  # swapped
    return out


def _swapped_or_doubled(word: str) -> list[str]:
    out = [word[:i] + word[i - 1] + word[i:] for i in range(1, len(word) + 1)]
    return out + [word[:i] + word[i + 1] + word[i] + word[i + 2:] for i in range(1, len(word) - 1)]


def _slip_table() -> dict[str, str]:
    table: dict[str, str] = {}
    for keyword in _SLIP_STRONG + _SLIP_WEAK:
        for slip in _slips(keyword):
            table.setdefault(slip, keyword)
    for slip in _swapped_or_doubled("stop"):
        table.setdefault(slip, "stop")
    return {slip: keyword for slip, keyword in table.items()
            if slip != keyword and slip not in _NOT_SLIPS}


_SLIP: Final = _slip_table()  # slip → the keyword it is
_LEET_TARGETS: Final = frozenset(_SLIP) | frozenset(
    _SLIP_STRONG + _SLIP_WEAK + ("stop", "opt", "out", "end", "quit", "unsub", "spam"))
_WEAK_SLIP: Final = frozenset(slip for slip, keyword in _SLIP.items()
                              if keyword in _SLIP_WEAK or keyword == "stop")


def _slip_pattern(word: str) -> str:
    """A regex for `word` or one slip of it (as `_slips`): one alternative per kind and place of
    slip, after the literal first letter, so the trigger scan finds slips without listing them
    (and skips to the first letter in C)."""
    alts = [word[1:]]
    for i in range(1, len(word) + 1):
        alts.append(f"{word[1:i]}[a-z]{word[i:]}")
        if i < len(word):
            alts.append(f"{word[1:i]}[a-z]?{word[i + 1:]}")
        if i + 1 < len(word):
            alts.append(word[1:i] + word[i + 1] + word[i] + word[i + 2:])
    return f"{word[0]}(?<![a-z0-9]{word[0]})(?:{'|'.join(alts)})"


# What a refusal clause must hold one of: a Latin word beginning (the letter codes alone, or a
# slip of a keyword), 0000, 12321, or a Chinese character of the units below.
_LATIN_TRIGGERS: Final = [
    *_split("stop unsub opt cancel end quit revoke arret arrêt halt cease discontinue enough "
            "remov delet erase drop lose purge scrub off text txt messag msg sms contact call "
            "email bother harass bug ping write send spam report sue suing fcc ftc tcpa "
            "attorney lawyer illegal lawsuit wrong sign subscri permission consent withdraw "
            "rescind retract who how where leave alone screw fuck piss bugger block still "
            "receiv getting interest disturb complain ofcom crtc acma bbb dnc police cops "
            "td t r n spare refrain owner number reassign recycl anymore flag junk mark rather "
            "prefer mind communicat hear ads marketing promo list legal court ofca pdpc ico ncc "
            "am im unlist delist further wipe forget clear owner authorit regulat ombudsman "
            "watchdog "
            "trading imda mcmc accc oaic desist blacklist violat breach annoy irritat sick tired "
            "fed blow bombard flood pester nag hound replied texted typed said say answered "
            "responded wrote told turn shut nothing stahp mute last"),
    "no more", "no longer", "want out", "go away", "go to hell", "get lost", "cut it out",
    "knock it off", "done with", "finished with", "through with"]
_CJK_TRIGGERS: Final = (
    "退订拒停接关推发传寄打扰烦联销轰收看信息讯送知告删移除去清抹拿划撤剔踢工通消监报投举诉曝"
    "骚垃厌讨恶受够完吵滚病傻死残黑屏同授允注号电话醒违犯法骗名列录库些种西玩罢歇放饶来腿错生士姐办"
    "私权丁定钉顶町盯叮鼎据巨具距炬矩俱惧守售熟首手蜕褪煺忒律院庭官市商网拦截刷撑皮声闲本机主找提弄搞铲咋说"
    "反上ス迷客员顾")
_TRIGGER: Final = re.compile("|".join(
    [*_CJK_TRIGGERS, *HANGUL_TRIGGERS, *THAI_TRIGGERS, "7726", "33700", "0000", "0 0", "12321",
     "12315", "315"]
    + [f"{re.escape(w)}(?<![a-z0-9]{re.escape(w)})"
       for w in _LATIN_TRIGGERS + [w for w in LATIN_TRIGGERS if w not in _LATIN_TRIGGERS]]
    + [f"{w}(?<![a-z0-9]{w})(?![a-z0-9])" for w in LATIN_WORD_TRIGGERS]
    + [_slip_pattern(w) for w in _SLIP_STRONG + _SLIP_WEAK]
    + [f"s(?<![a-z0-9]s)(?:{_alt([w[1:] for w in _SLIP if _SLIP[w] == 'stop'])})"]))

# --- Chinese (matched on a clause's compact form: letters and digits only) ----------------
_MSG: Final = "(?:短信|信息|消息|简讯|讯息|短讯|推播|推送|通知|广告|营销|推广|推销|彩信|sms|msg)"
_DEM: Final = (
    "(?:这个|这些|这种|这类|这样的?|此类|此|该|本|那些|那种|你们的?|你家的?|贵公司的?|所有的?"
    "|全部的?|一切|任何|以后的?|类似的?)")
_KIND: Final = "(?:营销|推广|广告|垃圾|骚扰|促销|优惠|活动)"
_OBJ: Final = f"(?:{_DEM}?{_KIND}?{_MSG})"
_THING: Final = "(?:东西|东东|玩意儿?|破玩意儿?|破东西|鬼东西|烂东西|货色)"
# Messages in vague words: 这些, 那些 alone or with a thing; 这种, 这类 and their kind with one.
_VAGUE: Final = (
    f"(?:(?:这些|那些){_THING}?|(?:这些|那些)垃圾|(?:这种|那种|这类|此类|这样的|你们的?|你们这些"
    f"|你们那些){_THING}|(?:这|那)(?:破|烂|鬼)?玩意儿?)")
_CODES: Final = ["td", "t", "r", "n", "stopall", "stop", "unsubscribe", "unsub", "cancel", "end",
                 "quit", "revoke", "optout", "arret", "arrêt"]
# A code among Chinese words: not inside a Latin word, not after a word that makes it a name
# (这个T, 验证码是0000, 尾号0000), and followed by nothing or by words a refusal goes on with
# (TD谢谢, TD不需要, R退订), not by a noun (T恤, TD银行, R级, N95).
_CODE: Final = (
    r"(?<![a-z0-9])(?<![是为码号第个这那型款的买叫在和跟或与用从到点张件穿卖换送])"
    f"(?:(?:{_alt(_CODES)})+|0{{4,}})(?![a-z0-9])"
    r"(?=$|退|拒|回|谢|感谢|多谢|请|麻烦|了|吧|啊|呀|哦|噢|喔|嗯|啦|嘛|哈|哇|不|别|烦|滚|我|以后"
    r"|再|没|太|真|好|马上|立即|立刻|赶紧|一下|掉|取消|停止|拉黑|投诉|举报|你们|你|垃圾|骚扰|广告"
    r"|短信|信息|全部|所有|永久|就|还|也|都|!)")
_VERB: Final = (
    "(?:退订(?!金)|退定(?!金)|退阅|取消订阅|退出订阅|停止订阅|取消关注|取关|取订(?!单|金)|拒收|拒绝接收|停止接收|不再接收|不接收|停止发送"
    "|停止推送|取消推送|关闭推送|停发|停推"
    "|(?:停止|不再|拒绝)(?:向我|给我|对我|为我|往我)(?:发送|推送|发|推|传送|打电话))")
_CHAIN: Final = (
    f"(?:请?回复?|发送?|编辑|输入)(?:{_CODE})(?:退订|拒收|退出)?"
    f"|(?:退订|拒收)请?(?:回复?|发送?)(?:{_CODE})")
# A refusal that did not work is a refusal (退订不了, 回TD没用).
_FAILED: Final = (
    f"(?:退订|退定|取消订阅|拒收|回复?了?(?:{_alt(_CODES)})|{_alt(_CODES)})(?:了|过)?"
    "(?:好几次|好多次|几次|很多次|多次|无数次|\\d+次|n次|半天|几遍|好几遍)?了?"
    "(?:也|都|还是|了|根本|完全|压根儿?|一点|好像|似乎|貌似|就|并|还|是|全)*"
    "(?:不了|失败|没用|无效|不成功|没反应|不管用|不行|没有用|没效果|没作用|不起作用|不生效|没生效|白回"
    "|白发|退不掉|停不了|没效)"
    "|(?:没有?|未|没能)(?:退订|退定|拒收|取消订阅)(?:成功|掉)")
_NUMBER: Final = (
    "(?:这个|这支|此|本|该|我的?|这)?(?:手机号码|手机号|电话号码|号码|电话|手机|号)")
# To this number, this phone (往这个号, 给本号码, 向本机, 到我这个手机上): refused like "me".
_TO_NUMBER: Final = (
    "(?:给|向|对|跟|为|往|朝|到)(?:我的?|我们的?)?(?:这个|这支|这部|这|此|本|该)?"
    "(?:手机号码|手机号|号码|电话号码|电话|手机|号|机)(?:上|里|这儿?)?")
_NEG_SEND: Final = (
    "(?:别|不要|勿|请勿|莫|甭|不许|不准|禁止|少|休想|不用再?|不必再?|不需要再|无需再|用不着再|千万别"
    "|千万不要|再也不要|再也别|(?<!能)不能再|(?<!可)不可以再|不得|以后不用|以后不必|以后别|以后不要|不想再)"
    "(?:他妈的?|特么的?|tmd|tm|nm|妈的)?(?:再|总|老|老是|天天|每天|一直|随便|乱)?"
    f"(?:给我|向我|对我|跟我|为我|往我这|往这|来|{_TO_NUMBER})?再?"
    "(?:(?P<send>发送|传送|寄送|发|推送|推荐|推|群发|乱发|传|寄|打电话|打|联系|法(?=$|了|啦|啊|吧)"
    "|call|send|sms|text"
    "|txt|msg|whatsapp|spam)"
    "(?=$|了|啦|啊|吧|呀|哦|嘛|喽|咯|给我|到我|我|过来|来|再|谢谢|好吗|行吗|可以吗|ok|点|些"
    f"|什么|东西|东东|玩意|垃圾|这|那|此|{_DEM}|{_KIND}|{_MSG})"
    "|打扰(?!模式)|骚扰|烦|推销|轰炸|短信轰炸"
    "|(?:告诉|通知|提醒|找|搞|联络|通告)我(?=$|了|啦|啊|吧|呀|哦|嘛|谢谢))")
_WANT_NOT: Final = (
    "不想再?(?:收到?|接收|看到?|收看)"
    f"|(?:不想要|不要|不需要|不用|不必|无需|用不着|不想)再?(?:收到?|接收)?{_OBJ}"
    f"|不再?(?:收|接收|接受|看){_OBJ}"
    f"|(?:拒绝|不接受|不再接受)(?:接收)?{_OBJ}"
    f"|(?:对|这种|这些|这类|你们的?){_KIND}?{_MSG}(?:我|就|都|真的?|以后|完全|一点)*"
    "(?:不需要|不想要|不要|不想收|不看|不想看|不感兴趣|没兴趣|没有兴趣|不用|不必|用不着|不稀罕|免了)"
    # things in vague words (这些东西, 这种玩意, 那些垃圾; 这些 alone), at the end of the clause
    "|(?:不想要|不要|不需要|不用|不必|无需|用不着|不想|不稀罕|不再需要)再?(?:收到?|接收|看到?)?"
    f"{_VAGUE}(?=$|了|啦|啊|吧|呀|谢谢|哦|嘛|哈|喔)"
    f"|{_VAGUE}(?:我|就|都|真的?|以后|完全|一点|再也|通通|全都)*(?:不需要|不想要|不要|不想收|不看|不想看"
    "|不感兴趣|没兴趣|没有兴趣|不用|不必|用不着|不稀罕|免了)(?!.{0,6}?(?:退款|退货|换货|换))"
    # asking them not to (能不能不发了, 可以不要再发吗 is a _NEG_SEND)
    "|(?<!我)(?:能不能|可不可以|能否|可否|可以|麻烦|请|求求你们?|求你们?)(?:你们?|您)?(?:以后)?"
    "不再?(?:给我)?(?:发|传|寄|推送|推|打扰|骚扰|联系|send|text|sms)"
    f"(?=$|了|啦|吧|吗|么|呀|嘛|给我|我|东西|{_MSG}|这|那|{_KIND})")
_COMPLAINT: Final = (
    "12321|12315|工信部|通管局|通信管理局|消协|消费者协会|市场监管|(?:打|拨打|找|去|向)315"
    "|个资法|个人资料保护法|个人信息保护法|个保法|私隐条例|侵犯.{0,4}?(?:隐私|私隐|个人信息|个资)|违反.{0,6}?法"
    # the wrong person (你们发错人了, 我不是张先生, 这号码我刚办的)
    "|发错(?:人|号|对象)|(?:你们?|短信|信息|消息)(?:发|打)错了|找错人"
    "|我不是(?:你们要找的|[\u4e00-\u9fff]{1,3}(?:先生|女士|小姐|太太|老师|经理|总|老板|同学|阿姨|大哥|姐))"
    "|(?:号码?|手机号|电话|手机)(?:是)?我?(?:刚刚?|新|才|最近)(?:办|买|换|申请|开|注册)的?"
    "|消委会|通讯事务管理局|电讯管理局|私隐专员|私隐公署|通传会|国家通讯传播委员会|消保官|消基会|消保会"
    "|退不掉(?!款|货|票|钱|费|房|单|押金|定金|订金)"
    # why they still send (退订了为什么还传简讯, 怎么又发)
    "|(?:为什么|为啥|怎么|咋|干嘛|凭什么)(?:你们?|又)?(?:还|又|仍然?|依然|照样|一直|老是|总是|还是)+"
    "(?:在|是|要|会|敢)?(?:给我|来|一直|不停地?)?(?:发|传|寄|推|打电话|骚扰|收到|send)"
    "(?!货|票|工资|快递|红包|包裹|件|错|验证|回)"
    # ...after the refusal (为啥退订了还能收到, 怎么回了TD还会收到): a refusal ignored
    "|(?:为什么|为啥|为何|怎么|咋|凭什么)我?(?:都|已经|明明)?"
    f"(?:退订|退定|拒收|取消订阅|回复?了?(?:{_alt(_CODES)}))"
    "(?:了|过)+(?:你们?)?(?:还|又|仍然?|依然|照样|还是)(?:能|会|在|是|可以|一直)?"
    "(?:收到|接到|发|推|传|来)"
    "|报警(?!器|灯|系统|装置|按钮|声|铃)"
    "|(?:投诉|举报|检举|起诉|申诉|曝光|(?<![广公通预布转])告(?:发|你们?|到))(?=$|(?:你们?+|您|贵公司)(?!的?(?:快递|客服|骑手|师傅|司机|员工"
    "|店|商品|产品|服务|订单|物流))|贵|公司|这(?:个号|种|些|类|条|号|样)|号|短|信|广|骚|垃|到|给|去"
    "|了|过|完|成功|啊|吧|呀|的|哦|呢|啦|嘛|工信|12321|12315|电信|移动|联通|运营商|营销|推|滥|乱|一下|死|此"
    "|该|本|哈|无良|商家|侵犯|违法|违反|消保|通传|个资)"
    "|骚扰"
    "|(?<![倒扔丢捡])垃圾(?!分类|袋|桶|箱|站|车|场|处理|回收|清运|费|食品|邮件)"
    f"|{_MSG}(?:太多|太频繁|太烦|太密)|发(?:得|的)?(?:太多|太频繁|太勤|这么多|那么多|没完)"
    # (not asked for next time: 下次有还发我)
    "|(?<!下次有)(?<!以后有)(?<!下次)(?<!再有)(?<!活动)(?<!新品)(?<!优惠)(?<!折扣)(?<!打折)(?<!促销)"
    "(?<!特价)(?<!福利)(?<!上新)"
    "(?<!请)(?<!继续)(?<!可以)(?<!就)(?<!麻烦)"  # (asked for: 请一直发)
    "(?:天天|每天|每日|成天|整天|一天到晚|一天|老是|总是|一直|经常|频繁|反复|不停地?|不停的|没完没了地?"
    "|又|还在|还是|还|仍然|依然|仍旧|依旧|照样|照旧)(?:都|也)?(?:给我|来|在)?(?:发|推送|推|传送|寄送|传|寄|打电话|打"
    "|骚扰|send)"
    f"(?=$|{_MSG}|垃圾|这些|这种|个|啊|呀|吧|了|啦|嘛|干嘛|什么|烦|不停|过来|来|给我|我|有病|神经"
    "|好几|这么多|那么多|[0-9一二两三四五六七八九十百千万几]+(?:遍|次|条|回))"
    "|烦死|烦不烦|好烦|真烦|烦人|很烦|太烦|烦透|烦躁|厌烦|讨厌|恶心|受不了|受够了|够了没|够未(?=$|呀|啊|啦|吖)|有完没完"
    # consent withdrawn in PIPL's words (我撤回同意, 撤销授权, 收回对你们的授权)
    "|(?:撤回|撤销|撤消|收回|取消)(?:我的|我|对你们的?|对贵司的?|给你们的|之前的)?(?:同意|授权|许可)(?!书)"
    "|没完没了|吵死"
    "|^烦+(?:啊|呀|死了?)?$|骗子"
    "|滚(?!动|筒|烫|圆|轮|雪|球|水)|(?:你们?|是不是|真|神经)有病|有病(?:吧|啊|呀)|神经病|脑残|傻逼"
    "|去死"
    "|拉黑|屏蔽|黑名单|加黑"
    "|(?:没|没有|从未|从来没有?|从没|未曾|我又没|谁)(?:订阅|订过|同意|注册过?你们|关注过?你们|授权|允许"
    "|让你们?发|叫你们?发)"
    "|(?:怎么|哪|谁|从哪)[^,]{0,6}?我的?(?:号码|电话|手机号|联系方式)"
    "|(?:号码|电话|手机号)(?:是|你们)?(?:从哪|哪里|哪儿|哪来|谁给)"
    "|(?:怎么|怎样|如何|咋)(?:才能|才可以|可以|能|样才能)?(?:不再?|别再?)(?:收|接收|收到)"
    "|(?:怎么|怎样|如何|咋)(?:样|才能|才可以|可以|能|去)?(?:取消|关闭|关掉|屏蔽)(?:啊|呀|呢|吗|了)?$"
    "|违法|违规|犯法|非法"
    "|(?:别|不要|勿|不许|不准|禁止)再?(?:使用|用|泄露|留着?|存)我的?(?:号码|手机号|电话|信息|资料)"
    "|(?:不记得|没印象)我?(?:有|曾经?)?(?:订阅|订过|同意|注册)"
    "|(?:短信|信息|消息|推送)(?:提醒|通知)?(?:帮我|给我|请|麻烦)?(?:关|关掉|关闭|取消)(?:一下|掉|了|吧)*$"
    "|辣鸡|勿扰|免打扰|7726|33700|反诈|96110|已?上报|スパム|迷惑(?:メール|sms|メッセージ)|通报しました"
    "|轰炸|(?<!的)刷屏(?!的)|扰民|闲的(?:吗|么|慌|啊|没事)|闲得慌|吃饱了?撑|收皮|收声|有完没完|烦不烦"
    "|我(?:从来|根本|压根儿?|都|也)?没(?:有)?(?:报|玩|买|用|注册|办|参加|住|看|去)过(?:你们|这个|这款|这家)"
    "(?:的)?(?:课|游戏|东西|产品|app|店|医院|楼盘|平台|会员|卡|酒店|病)?(?:啊|呀|吧|啊)?$"
    "|不是本人|非本人|(?:我)?不是(?:机主|户主|这个号的主人)|我(?:又|根本|压根|从来)?不是你们的?(?:客户|会员|用户|顾客|病人|学员)|机主(?:已经?|早就?)?(?:换|变|不是)"
    "|(?:本人|我)(?:已经?|早就?)?不(?:再)?用(?:这个|此|该|这)号"
    "|律师函|(?:找|请|叫)律师|(?:法院|法庭)见|告(?:上|到)(?:法院|法庭)|上法院|打官司|市监|市场监督|工商局|网信办|(?:打|拨打?|找|去|向)(?:12345|10086|10010|10000|110)"
    "|(?:报|告|投诉|举报|找)(?:去|到|给)?(?:ofca|ofcom|ncc|pdpc|fcc|ftc|acma|crtc|imda|mcmc|ico)"
    "|(?:已|已经|设置?了?|设|加入|开了?)拦截(?=$|了|啦|你们|这个?号)|拦截(?:了|掉)(?=$|啦|你们|这个?号)"
    # said already, and again (说了多少次, 都说了不要了, 不是说了别发吗)
    "|说了?(?:多少|几|好几|n|无数|\\d+|[一二三四五两])(?:次|遍)|第[一二三四五六七八九十\\d]+(?:次|遍)说"
    "|(?:都|已经|早就?|不是|明明|跟你们)说(?:过|了)+(?:不要|别|不需要|不用|退订|停|拒收)"
    # pleas to be left in peace (能不能消停点, 歇歇吧, 放过我吧, 饶了我吧)
    "|(?<!终于)消停|(?<![我在家])歇(?:歇|一歇|会儿?|一会儿?|一下)(?:吧|啊|呀|好吗|行吗|行不行|可以吗|好不好"
    "|$)|放过我|饶了我|饶过我|求.{0,2}?(?:放过|饶命|高抬贵手)|放过(?:俺|咱|本人|小的|我们)"
    "|(?<![不别没])放过(?:吧|啊|呀|好吗|行吗|了吧)*$|高抬贵手|行行好"
    # the number changed hands (此号码已换人, 号码已转让, 这个号不是张先生的了)
    f"|{_NUMBER}(?:已经?|早就?|早已|现在|已被)?(?:换人|换了人|换主人?|换了主人|易主|转让|转手|转给"
    "|过户|回收|不是.{1,8}?的(?=$|了|啦|哦|喔|啊))"
    # again, after a refusal (怎么又来了, 结果又收到, 今天又来一条)
    "|(?:又|还是|照样|照旧|依然|仍然)(?:来|发来|收到|发过来|传来)了?(?=$|啊|呀|吧|啦|一条|一堆|好几|几条"
    "|两条|三条|\\d+条|短信|信息|消息|广告|推送|推销|这|那)"
    # a refusal recounted as a question (不是已经退订了吗, 不是早就拒收了)
    "|不是(?:已经|早就?|早已|都)?(?:退订|退定|拒收|取消订阅|退了|回复?了?(?:td|t|r|n|stop))(?:了|过)+"
    "(?:吗|么|嘛|什么)?")
# A question how to stop them (有没有办法不再收到, 怎么才能收不到, 发什么字能停掉): a refusal, since
# asking twice is the obstruction MIIT forbids.
_ZH_UNRECEIVED: Final = (
    "(?:(?:不再?|别再?|不用再|不会再)(?:收|接收|接到|看到)|收不到(?![了啦])|退订|拒收|屏蔽"
    "|(?:取消|关掉|关闭)(?:订阅|推送|短信|通知|提醒|这些|这个|它))")
_ZH_UNSENT: Final = (
    f"(?:(?:让|叫|不让|别让|不叫)?(?:他们|它|{_DEM})?{_KIND}?{_MSG}?"
    "(?:(?:不再?|别再?|不要再?|不会再)(?:发|推|打扰)|停(?:下|掉|止|发)))")
_HALTED: Final = (
    "(?:(?:不再?|别再?|不要再?|不会再)(?:发|推|传|寄|打扰|骚扰|打|send)|停(?:下|掉|止|发|了)?|罢手|消停"
    "|收手)(?!货|票|工资|快递|红包|包裹|件|验证|奖)")
_ZH_HOW_TO: Final = (
    "(?:有没有|有什么|有啥|什么|哪些?|没有|有无)(?:好的?)?(?:办法|方法|方式|途径|法子|招|渠道)"
    f"(?:可以|能|才能|让|使|把|去)?.{{0,10}}?(?:{_ZH_UNRECEIVED}|(?:让|叫){_ZH_UNSENT})"
    "|(?:怎么|怎样|如何|咋)(?:样|做|整|弄|搞|办)?(?:才能|才可以|可以|能|才|就能|去|先)?"
    f"(?:{_ZH_UNRECEIVED}|(?:让|叫|不让|别让|不叫){_ZH_UNSENT}"
    "|(?:不让|别让|不叫)(?:他们|它|你们?|贵公司)?(?:再|给我|往我这)?(?:发|推|传|寄|打扰|骚扰|打电话|联系))"
    "|(?:怎么|怎样|如何|咋)(?:样|做|弄|搞|办|操作|设置)?(?:才能|才可以|可以|能|才|就能|去)(?:让|叫)?"
    f"{_ZH_UNSENT}"
    "|^(?:请问|教教?我|告诉我|跟我说|麻烦告诉我|想问一?下|问一?下|求教|谁知道|有人知道|到底|那|所以"
    "|我要|我想知道|我该)*(?:怎么|怎样|如何|咋|要怎么)(?:样|才能|可以|能|去|弄|整|搞|操作)?退(?:掉|了|订|出)?"
    "(?:啊|呀|呢|吗|么)?$"
    "|(?:回复?|发送?|输入|编辑|打)(?:什么|啥|哪个|哪几个|几)(?:字母|字|内容|数字|代码|指令|词)?"
    "(?:你们?|他们|贵公司)?(?:才能|才可以|可以|能|就能|就可以|就|才|先)?"
    f"(?:{_ZH_UNRECEIVED}|{_ZH_UNSENT})"
    # around what they do (要怎样你们才不发, 怎么样你们才会停, 你们要怎样才肯罢手)
    "|(?:怎么|怎样|如何|咋)(?:样|做|办)?(?:你们?|他们|贵公司|它们?)(?:才|就)(?:会|能|肯|可以)?"
    f"{_HALTED}"
    "|(?:你们?|他们|贵公司)(?:要|得|到底)?(?:怎么|怎样|如何|咋)(?:样|做|办)?(?:才|就)(?:会|能|肯|可以)?"
    f"{_HALTED}")
# Not to be put or kept on a list (别把我加到你们的发送列表, 我不想在你们的名单上).
_LISTED: Final = (
    "(?:别|不要|勿|请勿|不许|不准|不想|不愿意?|不希望|禁止|不用|不必)再?"
    "(?:被|把我|将我|把我的?(?:号码|手机号|号|电话))?"
    "(?:加到|加入|加进|加在|放到|放进|放入|放在|列入|列进|列在|拉进|拉入|拉到|留在|保留在|待在|存在"
    "|存进|存入|登记在|在)(?:你们的?|贵公司的?|你家的?|这个|这些)?.{0,8}?"
    "(?:名单|列表|通讯录|数据库|群发|联系人|客户群|会员群|推送群)")
# A subscription cancelled in words (取消这些短信, 关闭推送); negatable (不要取消我的订阅).
_CANCEL_SUB: Final = (
    f"(?:取消|关闭|关掉|停掉|撤销)(?:我的?)?{_DEM}?{_KIND}?(?:{_MSG}|订阅|服务短信|提醒)")
# A refusal done, then messages still coming (取消订阅了为什么还有短信, 回了TD三次了还有).
_IGNORED: Final = (
    f"(?:(?:退订|退定|取消订阅|取消了订阅|拒收|回复?(?:{_alt(_CODES)}|0000|退订))(?:了|过)"
    f"|回复?了(?:{_alt(_CODES)}|0000|退订))"
    "(?:\\d+次|[一二三四五两几好多n]+次|无数次|好几遍|几遍)?了?(?:你们|都|也|但是?|可是|结果|怎么|为什么|为啥)*"
    "(?:(?:还有|还在|还是|还|又|仍然?|依然|照样|照旧|依旧)(?:在|是|会|有|一直|天天|每天)?"
    f"(?:收到|发|传|寄|推|来|{_MSG}|$)|为什么|为啥|凭什么)")
# A pinyin slip of a refusal word, with nothing but politeness around it (退丁, 腿订, 推订谢谢).
_ZH_TYPO_ALONE: Final = re.compile(
    "(?:请|麻烦|帮我|我要|给我|要)*(?!退订|退定|拒收|推定)"
    "(?:[退腿推褪蜕煺忒][订丁定钉顶町盯叮鼎订]|[拒据巨具距炬矩俱惧][收受手首守售熟])"
    "(?:了|吧|啊|呀|谢谢|谢了|哦|哈|一下)*")
_UNITS: Final = re.compile(
    f"(?P<failed>{_FAILED})|(?P<ignored>{_IGNORED})|(?P<halt>^(?:拜托|求求?|你们?|请|麻烦|快|赶紧|快点|能不能|可以|别再发了)*停+(?:了|下|下来|掉|止|发)?(?:吧|啊|呀|了|啦|好吗|行吗|好不好|谢谢)*$)|(?P<chain>{_CHAIN})|(?P<verb>{_VERB})|(?P<code>{_CODE})|(?P<stop>停止)"
    f"|(?P<cancelsub>{_CANCEL_SUB})|(?P<negsend>{_NEG_SEND})|(?P<want>{_WANT_NOT})|(?P<complaint>{_COMPLAINT})"
    f"|(?P<listed>{_LISTED})|(?P<how>{_ZH_HOW_TO})")
_STOP_ALONE: Final = re.compile(
    r"停止(?=$|了|吧|啊|谢谢|吧谢谢|!|" + _DEM + "|" + _MSG + ")")
_REMOVE_VERB: Final = re.compile(
    "删除|删掉|删了|删|移除|移出|移走|移掉|去掉|去除|除名|清除|清掉|抹掉|拿掉|划掉|注销|撤掉|剔除|剔掉"
    "|踢出|踢掉|弄掉|搞掉|铲(?:掉|了|走)")
_REMOVE_OBJECT: Final = re.compile(
    "号码|手机号|电话|联系方式|名单|列表|通讯录|数据库|系统里|资料|个人信息|我的信息|删了?我"
    # (not what is in my order: 把我订单里的赠品去掉)
    "|(?:把|将)我(?!的?(?:订单|购物车|快递|包裹|外卖|地址|备注|发票|行李|预约|预订)(?:里|中|上)?的?)"
    "|联系人|我从|删(?:掉|了|除)?(?:我的?)?(?:这个)?号"
    "|(?:删除|删掉|删了|删|移除|移出|去掉|去除|清除|拿掉|划掉|剔除|踢出|踢掉)我(?!的)")
# Negators right before a keyword (不退订, 我没说要退订, 不要帮我退订, 不 TD).
_ZH_NEGATED: Final = re.compile(
    "(?:不|别|勿|没|甭|莫|无需|无须|毋需|毋须|没必要|没有必要|不必要|何必|不用|不必|不需要|暂不|暂时不"
    "|先不|不想|不要|不打算|不准备|不是|不可能"
    "|没有|没说过?|没讲过?|没有说过?|没提过?|谁说我?|不会|不能|不可以|不许|不准|禁止|千万别|不愿意?)"
    "(?:要|想|用|必|是|是要|有|需要|打算|准备|会|去|再|说要|急着|着急)?(?:帮我|给我|替我|把我|将我)?"
    "(?:回复?|发)?过?$")
# A removal negated (不要把我从名单里删掉, 别把我的号码删了): the negator, then what is removed.
_ZH_REMOVAL_NEGATED: Final = re.compile(
    "(?:不要|别|勿|请勿|不许|不准|不能|不可以|千万别|千万不要|没说要?|没让你们?|没叫你们?|不用|不必)再?"
    "(?:把|将|从)(?:我们?的?)?(?:这个)?(?:号码|手机号|电话|号|资料|信息|名字)?"
    "(?:从.{0,12}?(?:里|中|上|内)?)?(?:给|帮我)?$")
# A removal asked for with politeness alone, the object in another clause (号码已转让，请移除).
_ZH_REMOVE_ALONE: Final = re.compile(
    "(?:请|麻烦|麻烦你们?|帮我|帮忙|请帮我|拜托|赶紧|马上)*(?:删除|删掉|删了|移除|去掉|除名|注销)"
    "(?:吧|啊|呀|一下|谢谢|了|哦)*")
_ZH_ABOUT: Final = re.compile(
    "什么|啥|意思|收费|要钱|扣费|扣钱|花钱|付费|费用|免费|多少钱|影响|会不会|是不是|是否|有用|管用"
    "|听说|据说|听人说|网上说|有人说|(?:多少天|几天|多久|多长时间|什么时候)才|后悔|反悔|大写|小写"
    "|为什么要|为啥要|干嘛要|干什么|吗|么$|有没有|会怎样|之后|以后还|是只|只退|还是连|还是只"
    "|(?:多久|多长时间|几天|何时|什么时候)(?:才|能|会|可以)?(?:生效|有效)|身份证|本人(?:操作|办理)"
    "|(?:需要|要|得|会)(?:多久|多长时间|几天|多少天|几个小时)"
    "|谁规定|规定要|要写|算不算|算是发|几毛钱|几块钱|真的假的|是真是假|是不是真的"
    "|效果一样|一样吗|有区别|区别|是.{0,12}?还是|退哪|哪个业务|哪些业务|哪项业务"
    "|(?:以后|之后|后).{0,4}?(?:再订|重新订|订回|订返|恢复)|在不在|还在吗"
    # why would I (退订干嘛, 拒收图什么): no refusal, the reverse
    "|^(?:退订|退定|拒收|取消订阅)(?:干嘛|干啥|干吗|做什么|干什么|图什么|图啥|有什么用|有啥用)(?:呢|啊|呀|哦)*$")
# What a question about a code starts with, the code before it (TD 是什么意思, T 收费吗, R 有用吗).
_ZH_ABOUT_START: Final = re.compile(
    "(?:是|就是|算|代表|指|表示|(?:什么|啥)(?!玩意|东西|鬼|垃圾|破|烂|乱七八糟)|有用|管用|有效|收费|要钱|扣费|免费|付费|怎么|咋|如何|吗|么|嘛"
    "|意思|为什么|为啥|干嘛|干什么|对吗|对不对|行吗|好使|靠谱|真的|(?:能|可以|行)(?:吗|么|嘛)"
    "|(?:能|可以|会|能不能|会不会)(?:用|生效|起作用|管用|退订|退掉|取消|收费|扣费|扣钱)"
    "|(?:退订|拒收|取消订阅)(?:吗|么|嘛|的意思|是吧|对吧)"
    "|会不会|的话)")
# What a reply asks about when it asks what unsubscribing does (退订 会员还有效吗): no refusal.
_ZH_CONSEQUENCE: Final = re.compile(
    "影响|积分|会员|账户|账号|余额|权益|优惠券|验证码|还能|还会|还可以|之后|以后还|的话|会不会|失效|作废"
    "|收费|扣费|扣钱|还有效|还在")
_ZH_ASKING_END: Final = re.compile("(?:吗|么|呢|嘛|不)$")
# A complaint denied right before it (我没有投诉你们, 不是要投诉): none.
_ZH_NOT_COMPLAINING: Final = re.compile(
    "(?:没有?|并没有?|不是|并不是|不会|不打算|不想|从没有?|从来没有?|不要|别|不用|不必|不)(?:要|想|在|去|说)?$")
_ZH_DOUBLE_NEG: Final = re.compile("(?:不要|别|不能|不许|不准|不可以)不")
_RHETORICAL: Final = ("是什么", "是啥", "又是什么", "还能是什么")
_TOPIC_DENIED: Final = ("是不可能", "是不会", "是绝对不", "不可能", "是不存在")
_ZH_PRODUCT: Final = re.compile("颜色|尺码|码数|款式|型号|错货")
_ZH_ORDERED_THING: Final = re.compile("的(?:那|这)?[双件台份张箱盒瓶套]")
# A block done to the writer (我被拉黑了, 被拉进黑名单): no refusal ("你们已被我拉黑" is one).
_BLOCKS: Final = frozenset({"拉黑", "黑名单", "加黑", "屏蔽"})
_ZH_BLOCKED_ME: Final = re.compile("被(?!我|本人).{0,3}$")
# A hypothesis is no refusal (如果退订，会员还有效吗; 要是回TD会怎样).
_ZH_IF: Final = re.compile(
    "(?:如果|要是|假如|假设|万一|若是?|倘若|一旦)(?:我|我们|孩子|家人|家里人|老人|我妈|我爸|小孩|别人)?"
    "(?:现在|真的|要|想|不小心)?(?:回复?|发送?|点)?了?$"
    "|(?:不小心|误|手滑|点错|按错)(?:回复?|发送?|点|按)?了?$")
# What refusing would do, asked (要是回TD会不会把我的账号也注销): no request to delete.
_ZH_WILL_IT: Final = re.compile(
    "(?:(?:如果|要是|假如|假设|万一|若是?|倘若|一旦)|(?:退订|拒收|取消订阅)(?:之?后|以后))"
    ".{0,16}?(?:会不会|是否会|会)(?:把|将|被|连)?")
# A question what something will do (退订会不会把我的账号注销): a removal after it is no request.
_ZH_WOULD: Final = re.compile("会不会|是否会|会否|该不会")
# What the user did, after a refusal word set apart (退订 我都注销会员了, 退订 我已经退会了): a
# reason, not a booking named; not what they booked (退订 我订的酒店).
_ZH_REASON_DONE: Final = re.compile(
    "(?:我|本人)(?!.*?(?:订的|定的|买的|约的|预订|预定|预约)).*?(?:了|啦)")
# A refusal word that opens a clause, set apart from what follows (退订 我已经不用了).
_ZH_LEADING: Final = re.compile(
    "(?:退订|退定|退阅|拒收|取消订阅|退出订阅|停止订阅|取消关注|停止推送|停止发送)(?:了|吧|啊|呀|哈|啦|谢谢)*")
_ZH_HOW: Final = re.compile(
    "(?:怎么|怎样|如何|咋)(?:样|才能|才可以|可以|能|去|操作)?(?:退订|取消|拒收|不再?收|停止|关闭)"
    "|(?:退订|取消订阅|拒收)(?:要|该|应该)?(?:怎么|如何|怎样|咋)"
    "|(?<!真的)(?<!真)(?<!确定)(?:可以|能|能不能|可不可以|能否|可否|麻烦|请|帮我|给我|我要|我想|申请)"
    "(?:帮我|给我|你们)?(?:退订|取消订阅|拒收)"
    "|(?:退订|拒收)(?:可以|行|好)(?:吗|么|不)"
    "|(?:回复?|发送?|输入)?什么(?:才能|才可以|可以|能|就能|就可以)?(?:退订|拒收|取消订阅)"
    "|(?:退订|取消订阅|拒收)的?(?:方式|方法|办法|途径|流程|入口|链接)"
    "|(?:退订|取消订阅|拒收)(?:要|该|应该|得|需要|的话)?(?:回复?|发送?|输入|编辑|打)(?:什么|啥|哪个|几)")
_ZH_COMMERCE: Final = re.compile(
    "订单|单子|这单|那单|单号|酒店|宾馆|民宿|机票|飞机票|车票|火车票|高铁票|船票|门票|球票|电影票"
    "|演唱会|票|航班|房间|房|客房|预订|预约|预定|行程|座位|桌位|包间|课程|课|旅游|团购|套餐|会员|押金"
    "|租车|车位|景区|场地|名额|外卖|快递|包裹|货|商品|饭店|旅馆|旅店|餐厅|餐馆|饭馆|订位|订房|机位|位子"
    "|包厢|餐位|餐桌|营位|营地|戏票|套票|住宿|入住|度假|旅行团|婚宴|宴会|场次|班次|车次|游轮|邮轮|会议室|会议|会场"
    "|球场|场馆|教室|琴房|自习室|工位|挂号|门诊|体检|定金|订金|流量包|流量套餐|彩铃|增值业务|包月业务|宽带"
    "|(?:健身|会员|月|年|季|次|储值|洗车|美容|游泳|瑜伽|课程|加油|停车|健身房)卡"
    "|(?:那个|这个|旅游|跟|报的?)团|那桌|这桌|一桌|两桌|年夜饭|团年饭|酒席|宴席|席位|寿宴|生日宴|满月酒"
    "|蛋糕|鲜花|花束|礼盒|年货|月饼|粽子"
    "|booking|appt|appointment|reservation|order|table|ticket|flight|room|class|lesson")
_UNDO: Final = frozenset({"取消", "解除", "撤销", "撤回", "撤消"})
_WEAK_CODES: Final = frozenset({"cancel", "end", "quit", "revoke"})
_ZH_MSG: Final = re.compile(_MSG)
_ZH_RESUB: Final = re.compile(
    "^(?:请|我要|我想要?|帮我|麻烦|你好|您好|好的|要|我|申请|想)*"
    "(?:(?:重新|恢复|继续)?订阅|(?:取消|解除|撤销|撤回|撤消)(?:退订|拒收)|(?:恢复|重新|继续)接收|开启推送"
    "|(?:想|要|希望)(?:再|重新|继续)(?:收到?|接收))"
    f"{_OBJ}?(?:了|吧|啊|谢谢|谢了|哦|一下)*$")
# Rule 5: a request to subscribe again, and an earlier refusal a reply recounts (之前退订了,
# 我上个月不小心回了TD, 以前退订过) or undoes (取消之前的退订).
_ZH_AGAIN: Final = re.compile(
    "(?P<undo>(?:取消|撤销|撤回|撤消|作废|解除)(?:之前|以前|上次|刚才|先前|我)?的?(?:退订|拒收)"
    "|(?:退订|拒收)的?(?:撤回|撤销|撤消|作废|不算|取消))"
    "|(?:重新|恢复|继续|再次)(?:订阅|接收|接受|开通|推送|发送|收到?)|想(?:再|重新|继续)?(?:订阅|收到|接收)"
    "|(?:重新|恢复|再次)开(?:一下|通|启)?(?=$|一下|吧|了|谢谢)|继续给我发"
    "|恢复(?=$|一下|吧|了|谢谢)")
_ZH_EARLIER: Final = re.compile(
    "(?:之前|以前|先前|早先|上次|上回|前几天|前阵子|前段时间|去年|上个?月|上周|曾经|当时|刚才|刚刚|不小心"
    "|误|手滑)(?:我|已经|已|有|都|也)*(?:不小心|误|错|手滑)?(?:点错了?|按错了?|回错了?|点了?|按了?|操作|发)?"
    "(?:把|给)?(?:你们|它)?"
    "(?:退订|退定|拒收|取消订阅|取消了订阅|(?:回复?|发)(?:了|过)?(?:td|t|r|n|0000|退订|stop)"
    "|(?<=错)了?(?:td|t|r|n|0000|stop))"
    "(?:了|过)*(?:你们的?)?(?:短信|信息|消息|推送)?"
    "|(?:退订|拒收|取消订阅)过"
    "|(?:那条|这条)?(?:td|t|r|n|0000|退订|stop)(?:不是我|是孩子|是小孩|是家人|是别人)[^,]{0,6}?(?:发|回|按)的?"
    "|(?:退订|拒收)了(?=收不到|就收不到|以后收不到|后收不到)|(?:退订|拒收)错了"
    "|(?:回|发|按|点)错了?(?:td|t|r|n|0000|退订|stop)")
_ZH_HELP: Final = re.compile("^(?:我需要|需要|请|求|我要)?(?:帮助|求助)(?:一下|谢谢|啊|吧)*$")
_POLITE: Final = re.compile(
    "^(?:谢谢|谢了|多谢|感谢|好的|好|ok|okay|thanks|thankyou|thx|please|pls|你好|您好|hi|hello|嗯|哦)+$")

# --- English (matched on a clause's words) -----------------------------------------------
_STRONG: Final = frozenset({"stop", "stahp", "stopall", "unsubscribe", "unsubscribed",
                            "unsubscribing",
                            "unsub", "optout", "optedout", "optingout", "arret", "arrêt"})
_LEADING_CODES: Final = frozenset({"td", "t", "r", "n"}) | _STRONG
_ARRET: Final = frozenset({"arret", "arrêt"})
_FR_MESSAGES: Final = _words("pub pubs publicite publicites envois textos courriels notifications "
                             "promotions offres appels")
_WEAK: Final = frozenset({"cancel", "end", "quit", "revoke", "td", "t", "r", "n", "remove",
                          "delete", "halt", "cease", "block", "blocked", "enough", "discontinue"})
# Words that make a weak keyword at the start of a clause a command whatever follows ("QUIT pls
# my phone is buzzing all day", "cancel pls i get these every hour").
_URGING: Final = _words("please pls plz plse now asap already immediately right")
_RESUB_WORDS: Final = frozenset({"start", "unstop", "yes", "subscribe", "resubscribe", "optin",
                                 "resume", "resub"})
_HELP_WORDS: Final = frozenset({"help", "info"})
_POLITE_WORDS: Final = _words(
    "please pls plz plse thanks thank thx ty tq tks you u now right away asap immediately "
    "already ok okay k lol man dude bro sir maam guys seriously damn dammit fucking fuck fck "
    "frigging freaking wtf ffs omg ugh god jeez again forever permanently anymore any more "
    "totally completely just kindly hi hey hello yo lah leh lor liao meh hor sia")
_OBJECT_WORDS: Final = _words(
    "me it this that these those them all everything every one everyone texts text txt txts "
    "messages message msgs msg sms spam ads ad promos promo promotions promotion marketing "
    "notifications notification alerts alert emails email calls call subscription "
    "subscriptions list lists service services stuff crap junk shit updates offers deals "
    "from to for my your ur the any with on number contact contacting texting messaging "
    "sending calling spamming emailing receiving getting consent")
_REASON_WORDS: Final = _words(
    "not interested no longer wrong dont want need im i am annoying spammy unwanted sick tired "
    "stupid scam bye goodbye")
_TRAIL: Final = _POLITE_WORDS | _OBJECT_WORDS | _REASON_WORDS | _STRONG | _WEAK
_LEAD: Final = _words(
    "please pls plz plse ok okay k kindly just hi hey hello yo so no nope nah i want to wanna "
    "would like id wish said reply and now oh omg ugh sir dear seriously again")
_NEGATORS: Final = _words(
    "dont not never wont cant cannot didnt doesnt shouldnt wouldnt couldnt isnt arent neednt "
    "mustnt without wasnt werent aint jangan huwag wag hwag")
# "stop" after these is a noun ("bus stop", "the next stop"), not a command.
_NOUN_BEFORE_STOP: Final = _words(
    "nearest closest what a an the bus next last first one every each full pit truck rest "
    "train non whistle your "
    "my our his her their its this that which final second third subway metro tram route "
    "emergency shortstop tube underground ferry shuttle coach taxi cab streetcar trolley mrt lrt "
    "bts brt")
# ...and these after it make it another verb ("stop by", "stop laughing").
_OTHER_STOP: Final = _words(
    "by at in on over off to for and there here near light lights sign signs watch loss gap shop "
    "di dekat depan kat sini situ sana "
    "motion laughing smoking crying worrying drinking eating playing working sleeping running "
    "thinking dreaming dancing singing lying procrastinating")
# Words between a negator and a keyword that only say how it would be said ("not going to reply").
_SAYING: Final = _words(
    "going to gonna planning plan trying want wanna need have asking asked reply replying text "
    "texting send sending type typing say saying hit press pressing ever telling told tell you "
    "u to be being niyo nyo akong ako kayo po na i")
_BILLING: Final = _words("charging billing deducting debit debits autodebit autopay deduction "
                         "deductions withdrawal withdrawals renewal autorenewal donation "
                         "donations pledge contribution contributions standing refill refills "
                         "renew autorenew autorefill")
_DETERMINERS: Final = _words("the my this that your ur auto monthly weekly recurring")
_COMMERCE_WORDS: Final = _words(
    "order orders booking bookings reservation reservations appointment appointments "
    "delivery package payment check cheque flight flights ticket tickets shipment trip room "
    "reschedule rescheduling cleaning visit consultation session haircut "
    "hotel table meeting class lesson ride car purchase transaction item items cart account "
    "plan appt appts parcel parcels shipping courier")
_PURCHASE_WORDS: Final = _COMMERCE_WORDS | _words(
    "bill bills billing charge charges refund service staff driver courier rider store shop "
    "product products technician agent employee waiter food repair installation waitlist "
    "queue group")
_MESSAGE_WORDS: Final = _words(
    "text texts txt txts message messages msgs msg sms spam ads promos promotions marketing "
    "notifications alerts calls number")
_ABOUT_WORDS: Final = _words(
    "what whats wat mean means meaning meant cost costs charge charged charges fee fees free "
    "happen happens happened affect affects affecting affected difference explain whether work "
    "works rates rate "
    "apply applies payant payante gratuit gratuite coute cuesta gratis cobran custa pago")
_QUESTION_START: Final = _words(
    "what whats wat does do is are will would if which why")
_ASKING: Final = frozenset({"can", "could", "may", "would", "will"})
_ASKING_KEEP: Final = _ASKING | frozenset({"do", "does", "shall"})
# After "do", the words that make it a question ("do you", "do these"), not a command ("do the
# needful and discontinue these messages", "do stop").
_DO_ASKS: Final = _words("i you u ya yall we they these those it my your ur he she people guys")
_YOU_OR_I: Final = frozenset({"i", "you", "u", "we", "ya"})
_LATER: Final = _words("later anytime whenever")
_OTHERS: Final = _words("wife husband son daughter kid kids child children mom mum dad mother "
                        "father partner friend parents grandma grandpa")
_WHO_SAID: Final = re.compile(r"\bwho\s+(?:said|says|told\s+you)\b")
# An intention denied, or a stop not wanted ("no intention of opting out", "I don't want these
# to stop").
_NO_INTENTION: Final = re.compile(
    r"\b(?:no|zero)\s+(?:intention|intentions|plans?|desire|wish)\s+(?:of|to)\s*$"
    r"|\b(?:dont|do\s+not|didnt|never)\s+(?:want|need)\s+(?:\w+\s+){0,2}?to\s*$"
    r"|\b(?:never|didnt|did\s+not)\s+(?:said|say|asked|ask)\s+(?:that\s+)?(?:i|we)\s+(?:wanted|want"
    r"|would|wished|need|needed)(?:\s+like)?(?:\s+to)?\s*$")
# A question about how long or how much refusing takes: about it, not a request.
_EN_HOW_MUCH: Final = re.compile(r"\bhow\s+(?:long|much|many|soon)\b")
# "will I be charged / still get my codes": a question about what refusing does.
_WILL_I_ABOUT: Final = _words("charged charge billed pay lose miss still get getting receive "
                              "receiving")

# "I am not Sarah": a name; not these words ("I'm not sure", "I'm not home").
_NOT_A_NAME: Final = _words(
    "sure interested home here there available free ready able aware busy happy ok okay fine "
    "well coming going leaving done finished certain convinced kidding joking mad angry upset "
    "in out around back late early allowed a an the that this it him her them one yet bothered "
    "worried complaining buying paying asking looking working driving around satisfied pleased "
    "impressed signed subscribed registered alone myself hungry tired sick old young married "
    "single", )
_EN_MSGS: Final = (
    r"(?:texts?|txts?|messages?|msgs?|sms|spam|ads|promos?|promotions?|marketing"
    r"|notifications?|alerts?|emails?|offers|deals|updates|calls|reminders?|notices)")
# Messages in vague words ("this crap", "all these things", "your junk").
_EN_VAGUE: Final = (
    r"(?:this|these|that|those|your|ur|such|all\s+(?:this|these|that|your|ur))\s+(?:\w+\s+)?"
    r"(?:stuff|crap|junk|shit|garbage|rubbish|bs|bullshit|nonsense|trash|things|spam)\b"
    r"(?!\s+(?:in|on|for|from|at|i\s+ordered|i\s+bought)\b)")
_NOT_BILLING: Final = (
    r"(?!\s+(?:the\s+|my\s+)?(?:charging|billing|deducting|taking|delivery|deliveries|shipping"
    r"|shipment|order|payment|payments|withdrawals))")
_EN_PHRASES: Final = re.compile("|".join([
    r"\b(?:make|get|let|have)\s+(?:this|these|them|it|you|u|ya|yall|(?:you|u)\s+(?:guys|people|all"
    r"|folks)|(?:the|these|your|ur|all)\s+" + _EN_MSGS + r")\s+(?:to\s+)?(?:stop|end|cease|quit"
    r"|leave\s+me\s+alone)\b" + _NOT_BILLING,
    r"\bfor\s+(?:you|u|ya|yall|(?:you|u)\s+(?:guys|people|all|folks)|this|these|them|it)\s+to"
    r"\s+(?:stop|quit|cease|leave\s+me\s+alone)\b" + _NOT_BILLING,
    r"\b(?:what|which)\s+(?:word|keyword|code|command|letter|reply)\s+(?:stops|ends|cancels"
    r"|unsubscribes)\b",
    r"\b(?P<pos>stop|quit|cease|discontinue|halt|end|enough)\s+(?:\w+\s+){0,2}?"
    r"(?:texting|txting|messaging|sending|spamming|contacting|calling|emailing|bothering"
    r"|harassing|bugging|pestering|mailing|writing|pinging|texts|messages|msgs)\b",
    r"\b(?P<pos6>withdraw|revoke|rescind|cancel|retract)\s+(?:my\s+|all\s+|the\s+)?consent\b"
    r"|\b(?:do\s+not|dont|no\s+longer)\s+consent\b",
    r"\b(?P<pos2>remove|delete|erase|drop|scrub|lose|purge|unlist|delist|wipe|forget|clear)\s+(?:all\s+(?:of\s+)?)?(?:me|us|my\s+(?:(?:hp|mobile|cell|phone|handphone|tel|contact)\s+)?(?:number|phone"
    r"|cell|mobile|contact|info|information|details|data|name|no)|this\s+(?:number|phone|cell"
    r"|no))\b",
    r"\b(?P<pos3>take|get|put|keep)\s+(?:me|us|my\s+\w+|this\s+\w+)\s+(?:off|out\s+of)\b",
    r"\b(?P<offlist>off)\s+(?:of\s+)?(?:your|ur|the|this|these|that|all|ya|yer|every)\s+"
    r"(?:\w+\s+)?(?:list|lists|database|system|contacts|roster|mailing|registry)\b",
    r"\b(?P<pos4>unsubscribe|opt)\s+me\b(?!\s+(?:back\s+)?(?:in|into|on)\b)",
    r"\bno\s+more(?:\s+(?:please|pls|plz|thanks|thank\s+you|thx|ty|ok|now))?\s*$",
    r"\bno\s+more\s+(?:of\s+)?(?:(?:this|these|your|ur|the)?\s*(?:[a-z]+\s+)?" + _EN_MSGS + "|"
    + _EN_VAGUE + ")",
    # a refusal that did not work ("your STOP doesn't work", "unsubscribing does nothing")
    r"\b(?:stop|stopall|unsubscribe|unsubscribing|unsub|optout|optingout|td)\s+(?:(?:link|button"
    r"|option|command|keyword|word|request|reply|replies|feature|thing|process|code)s?\s+)?"
    r"(?:(?:doesnt|does\s+not|isnt|is\s+not|didnt|did\s+not|dont|do\s+not|wont|will\s+not|never"
    r"|aint|hasnt|has\s+not|not|cant|cannot)\s+(?:even\s+|seem\s+to\s+|seems\s+to\s+|appear\s+to\s+"
    r"|ever\s+|really\s+|actually\s+)?(?:work|works|working|worked|do\s+anything|doing\s+anything"
    r"|help|helping|function|functioning)|(?:does|did|do)\s+nothing|(?:is|was|seems|appears)\s+"
    r"(?:\w+\s+)?(?:broken|ignored|useless|pointless|a\s+joke|fake)|failed|fails)\b"
    r"|\b(?:doesnt|does\s+not|didnt|did\s+not|why\s+wont|why\s+doesnt)\s+(?:replying\s+|texting\s+"
    r"|sending\s+)?(?:stop|unsubscribe|unsubscribing|optout|optingout|td)\s+work",
    # "can you (guys) not text me", "could you not message me every day"
    r"\b(?:can|could|would|will)\s+(?:you|u|ya|yall)\s+(?:\w+\s+)?(?:please\s+|pls\s+|just\s+)?not"
    r"\s+(?:ever\s+)?(?:text|txt|message|msg|sms|contact|spam|email|call|bother|harass|bug|ping"
    r"|write)(?:\s+(?:me|us|this|my|to|again|anymore|ever|every|so)\b|\s*$)"
    r"|\b(?:can|could|would|will)\s+(?:you|u|ya|yall)\s+(?:\w+\s+)?(?:please\s+|pls\s+|just\s+)?not"
    r"\s+(?:ever\s+)?(?:send|sending)\s+(?:me\s+)?(?:any\s*more|again|anything|these|this|that"
    r"|them|stuff|crap|junk|" + _EN_MSGS[3:-1] + r")\b",
    # things in vague words: "I don't want this crap", "don't want these", "not any more of this"
    r"\b(?:dont|do\s+not|no\s+longer)\s+(?:want|need)\s+(?:" + _EN_VAGUE + r"|these|em|them"
    r"|any\s+more|anymore|any\s+of\s+(?:this|these|that|it|them|your|ur)(?:\s+\w+)?)"
    r"(?:\s+(?:anymore|any\s+more|again|please|pls|thanks|thank\s+you|thx|ever|at\s+all|from\s+you"
    r"|man|guys|bro|ok|lol))*\s*$",
    r"\b(?:dont|never|do\s+not)\s+(?:ever\s+)?(?:text|txt|message|msg|sms|contact|spam|email"
    r"|call|bother|harass|bug|ping|write)(?:\s+(?:me|us|this|my|to|again|anymore|ever)\b|\s*$)",
    r"\b(?:dont|never|do\s+not)\s+(?:ever\s+)?(?:send|sending)\s+(?:me\s+)?(?:any\s*more|again"
    r"|anything|these|this|that|them|em|stuff|crap|junk|" + _EN_MSGS[3:-1] + r")\b",
    r"\b(?:dont|never|do\s+not)\s+(?:ever\s+)?send\s+me\s*$",
    r"\b(?:dont|never|do\s+not)\s+(?:ever\s+)?send\s+(?:me\s+)?(?:any\s+)?more\b"
    r"|\bmute\s+(?:me|us|this\s+number|my\s+number)\b"
    r"|\bturn\s+off\s+(?:these|the|your|ur|all|my|all\s+(?:these|the|your))?\s*(?:\w+\s+)?"
    r"(?:notifications|texts|messages|alerts|sms)\b(?!\s+(?:in|on)\s+(?:the\s+)?(?:app|settings))"
    r"|\b(?:the\s+)?last\s+(?:one|text|message|msg|sms|thing)\s+(?:i|we)\s+(?:ever\s+)?"
    r"(?:want|wanna|need)\s+(?:to\s+)?(?:see|get|receive|read|hear)\b",
    # "do not send me any further promotional messages", "don't text this number your offers"
    r"\b(?:dont|never|do\s+not)\s+(?:ever\s+)?(?:send|sending|text|texting|message|messaging)\s+"
    r"(?:me\s+|us\s+|this\s+number\s+|to\s+(?:me|this\s+number)\s+)?(?:any\s+|no\s+)?(?:more\s+"
    r"|further\s+|other\s+)?(?:\w+\s+){0,2}?" + _EN_MSGS + r"\b",
    r"\b(?:done|finished|through)\s+with\s+(?:these|this|that|your|ur|the|all|you|them|"
    + _EN_MSGS[3:-1] + r")\b|\bno\s+longer\s+interested\b|\bcut\s+it\s+out\b"
    r"|\bknock\s+it\s+off\b|\b(?:dont|do\s+not)\s+send\s*$|\benough\s+is\s+enough\b",
    r"\bleave\s+me\s+alone\b|\bgo\s+away\b|\b(?:fuck|piss|bugger|sod|f|eff)\s+off\b"
    r"|\bget\s+lost\b|\bgo\s+to\s+hell\b|\bscrew\s+(?:you|u|off)\b|\bfuck\s+(?:you|u|this)\b",
    r"\b(?:you|u|ya|they|why|still)\s+(?:\w+\s+)?(?:keep|kept)\s+(?:on\s+)?(?:texting|messaging"
    r"|sending|spamming|calling|contacting|emailing|bothering|harassing)\b",
    r"\b(?:still|again|constantly|always)\s+(?:texting|messaging|sending|spamming|calling"
    r"|contacting|emailing|bothering|harassing)\b",
    r"\b(?P<still>(?:still|keep)\s+(?:get|getting|receive|receiving))\s+(?:" + _EN_VAGUE
    + "|(?:these|this|them|your|ur|the|" + _EN_MSGS[3:-1] + r")\b)",
    r"\b(?P<pos8>(?:be|get|been|being)\s+removed)\b|\bwant\s+out\b",
    r"\b(?:never|didnt|did\s+not)\s+(?:give|gave|given)\s+(?:you\s+)?(?:permission|consent)\b",
    # permission denied ("You do not have permission to text this number")
    r"\b(?:dont|do\s+not|don't)\s+have\s+(?:my\s+|any\s+)?(?:permission|consent)\s+to\s+"
    r"(?:text|message|contact|sms|call|email|send)",
    r"\b(?:illegal|lawyer|attorney)\b|\bsee\s+(?:you|u|ya)\s+in\s+court\b"
    r"|\btak(?:e|ing)\s+(?:you|u|this|them)\s+to\s+court\b",
    # the count of today's messages remarked on ("Wow, 4th text today, you must really miss me")
    r"\b(?:\d+(?:st|nd|rd|th)|third|fourth|fifth|sixth|seventh|tenth)\s+(?:text|message|sms|msg)"
    r"\s+(?:today|this\s+(?:morning|afternoon|evening|week|hour))\b",
    r"\b(?P<pos10>(?:report|reporting|reported|sue|suing)\s+(?:you|u|ya|this|it|them|your|ur|to))\b",
    r"\b(?:will|gonna|going\s+to)\s+report\b",
    r"\b(?P<grievance>(?:file|filed|filing|files|lodge|lodged|lodging|make|made|making|submit"
    r"|submitted|submitting|raise|raised|register|registered|open|opened|put\s+in)\s+"
    r"(?:a\s+|an\s+|my\s+)?(?:formal\s+|official\s+|written\s+|(?!about\b)\w+\s+)?complaints?"
    r"|complaints?\s+(?:(?:has|have|was|were|is|are)\s+(?:been\s+|being\s+)?)?(?:filed|lodged"
    r"|made|submitted|sent|registered|against)"
    r"|complain(?:ed|ing|s)?\s+(?:to|about\s+(?:you|u|this|these|your|ur|the\s+"
    + _EN_MSGS + r")))\b",
    r"\b(?:ofcom|crtc|acma|bbb|dnc|ofca|pdpc|ico|ncc|better\s+business\s+bureau"
    r"|legal\s+(?:action|steps|proceedings)|take\s+(?:you|u|this)\s+to\s+court"
    r"|small\s+claims|information\s+commissioner|privacy\s+commissioner"
    r"|do\s+not\s+call\s+(?:list|registry|register))\b"
    r"|\b(?:call|calling|called|contact|contacting)\s+the\s+(?:police|cops)\b",
    r"\b(?:fcc|ftc|tcpa|spam(?!\s+(?:folder|filter|box|boxes|mail|email|emails|musubi|fritters"
    r"|sandwich|can|cans|is\s+on\s+sale|on\s+sale))|spammer|spammers|spamming|spammy|harassment"
    r"|harassing|harass|lawsuit)\b|\battorney\s+general\b",
    r"^(?:(?:hi|hey|sorry|no|nope)\s+)?(?:i\s+am|im|this\s+is|thats)\s+not\s+(?!(?:"
    + _alt(sorted(_NOT_A_NAME | _STRONG)) + r")\b)(?![a-z]+ing\b)[a-z]+"
    r"(?:\s+(?:sorry|mate|lol|thanks|anymore))?\s*$",
    r"\bwrong\s+(?:number|person|phone|guy|girl|no|contact|recipient|individual|man|woman|lady"
    r"|customer|persons|people)\b",
    # polite or indirect refusals: "would you mind not texting me", "I'd rather not receive
    # these", "no need to send me these anymore", "please spare me", "refrain from texting"
    r"\bmind\s+not\s+(?:\w+\s+)?(?:texting|txting|messaging|sending|contacting|calling|emailing"
    r"|spamming|bothering|pinging|writing)\b"
    r"|\b(?:rather|prefer|preferred|like|want|wish)\s+(?:to\s+)?not\s+(?:to\s+)?(?:\w+\s+)?"
    r"(?:(?:receive|receiving|get|getting|hear)\s+(?:(?:any|these|this|those|them|that|your|ur"
    r"|such|more|the|from|you|u|of|all)\s+)*(?:\w+\s+)?(?:these|them|anything|more|"
    + _EN_MSGS[3:-1] + r")\b|(?:receive|receiving|get|getting|hear)\s*$"
    r"|be\s+(?:texted|messaged|contacted|sent|bothered))\b"
    r"|\brather\s+(?:you|u|ya)\s+(?:didnt|did\s+not|dont|do\s+not|not|stopped|wouldnt)\b"
    r"|\b(?:if|so)\s+(?:you|u|ya)\s+(?:would\s+|could\s+|can\s+|just\s+|please\s+)*(?:stopped"
    r"|stop|quit|ceased|didnt|did\s+not|wouldnt|would\s+not)\s+(?:\w+\s+)?(?:texting|txting"
    r"|messaging|sending|contacting|calling|emailing|spamming|bothering|text|txt|message|send"
    r"|contact|call|email)\b"
    r"|\brefrain\s+from\s+(?:\w+\s+)?(?:texting|txting|messaging|sending|contacting|calling"
    r"|emailing|spamming)\b|\bspare\s+(?:me|us)(?:\s+(?:the|your|ur|these|this|from|all"
    r"|please|pls|plz|thanks|already|now|any|more)\b|\s*$)"
    r"|\b(?:no|theres\s+no|there\s+is\s+no)\s+need\s+(?:for\s+(?:you|u)\s+)?to\s+(?:keep\s+)?"
    r"(?:send|text|txt|message|msg|contact|email|call|ping|bother)(?:ing)?\s+(?:me|us|this"
    r"\s+number)(?:\s*$|\s+(?:these|this|them|that|those|any\s*more|again|anything|stuff|any"
    r"|every|daily|so|" + _EN_MSGS[3:-1] + r")\b)",
    # the number changed hands: "this number has a new owner", "not Karen's number anymore"
    r"\bnew\s+owner\b|\bchanged\s+hands\b|\b(?:number|no|phone)\s+(?:\w+\s+){0,2}?"
    r"(?:reassigned|recycled|transferred)\b"
    r"|\b(?:not|isnt|no\s+longer|aint)\s+(?:\w+\s+)?(?!this\b)\w+s\s+(?:number|phone|no|cell|mobile)\b"
    r"|\b(?:this|it|thats|this\s+number|this\s+phone)\s+(?:is\s+not|isnt|aint|is\s+no\s+longer)"
    r"\s+(?!\w+ing\b)\w+\s+(?:anymore|any\s+more)\b"
    r"|\b(?:number|no|num)\s+(?:please\s+|pls\s+|plz\s+|kindly\s+|to\s+)*(?:remove|delete"
    r"|removed|deleted)\b",
    # a spam report as a statement or an act: "forwarded to 7726", "reported as spam",
    # "blocked and reported", "flagged as junk"
    r"\b(?:7726|33700)\b|\b(?:reported|flagged|marked|reporting|flagging|marking)\s+(?:(?:this|it|you|u"
    r"|them|your|ur|\w+s)\s+)?(?:as\s+)?(?:spam|junk|scam|fraud|phishing|unwanted)\b"
    r"|\b(?:block|blocked|blocking)\s+(?:(?:and|n)\s+)?report(?:ed|ing)?\b"
    r"|\b(?:ive|i|already|just|have|has\s+been|been|was)\s+(?:\w+\s+)?reported\s*$",
    # a refusal recounted as a question or a story: "didn't I already unsubscribe", "support
    # told me I was removed"
    r"\b(?:didnt|did\s+not|havent|have\s+not|hadnt|wasnt|was\s+not)\s+(?:i|we)\s+(?:already\s+"
    r"|just\s+|even\s+)?(?:unsubscribe|unsubscribed|optout|optedout|stop|stopped|remove|removed"
    r"|reply\s+stop|replied\s+stop|text\s+stop|texted\s+stop|ask\s+(?:you\s+)?to|asked\s+(?:you"
    r"\s+)?to|tell\s+you|told\s+you|taken\s+off|take\s+myself\s+off)\b"
    r"|\b(?:told|said|confirmed|promised)\s+(?:me\s+)?(?:that\s+)?(?:i|id|my\s+number|this\s+number)"
    r"\s+(?:was|had|d|would|been|is|am|have|has|were)\s+(?:\w+\s+)?(?:removed|unsubscribed"
    r"|optedout|taken\s+off|off)\b"
    r"|\b(?:i|ive|we)\s+(?:was|were|have\s+been|had\s+been|been|got)\s+(?:already\s+)?"
    r"(?:removed|unsubscribed)\b",
    # how to, in any words: "what do I need to do to not get these"
    r"\b(?:what|how|way|ways|option|options|method|means|possible|(?:can|could|may)\s+(?:i|we))\s+"
    r"(?:\w+\s+){0,6}?(?:not|never|no\s+longer|stop)\s+(?:get|getting|receive"
    r"|receiving|hear)\s+(?:these|this|them|that|those|your|ur|any|" + _EN_MSGS[3:-1] + r")\b",
    r"\b(?:never|didnt|did\s+not|dont\s+remember|do\s+not\s+remember|not)\s+(?:ever\s+)?"
    r"(?:sign(?:ed)?\s+up|subscribed?|opt(?:ed)?\s+in|optin|agreed?|consent(?:ed)?"
    r"|ask(?:ed)?\s+for\s+(?:this|these|them|it|your|any))\b",
    r"\bwho\s+(?:gave|sold)\s+you\s+my\b|\b(?:how|where)\s+did\s+you\s+get\s+my\b",
    r"\b(?:dont|do\s+not|doesnt|does\s+not|no\s+longer|never)\s+(?:wants?|wish(?:es)?|needs?"
    r"|likes?)\s+(?:to\s+)?"
    r"(?:(?:receive|get|getting|receiving|see|hear)\s+(?:\w+\s+){0,2}?"
    r"|(?:any|your|these|this|those|the|ur|such|more)\s+(?:\w+\s+)?|)" + _EN_MSGS + r"\b"
    r"|\b(?:dont|do\s+not|doesnt|does\s+not|no\s+longer|never)\s+(?:wants?|needs?)\s+(?:to\s+"
    r"(?:receive|get|see|hear)\s+)?" + _EN_VAGUE,
    r"\b(?:dont|do\s+not|no\s+longer)\s+want\s+to\s+(?:receive|get|hear\s+from)\b",
    r"\bnot\s+interested\s+in\s+(?:\w+\s+){0,2}?" + _EN_MSGS + r"\b",
    r"\b(?P<pos5>block)(?:ed|ing)?\s+(?:you|u|this|your|ur|the|number|sender)\b"
    r"(?!\s+(?:stop\s+sign|road|view|way|driveway|entrance|exit|sun|door|street|sidewalk|path|lane"
    r"|car|gate|garage|traffic)\b)"
    r"|\b(?:i|im|ive|gonna|will)\s+(?:block|blocking|blocked)\b",
    r"\bhow\s+(?:do|can|could|should|would|to)\s+(?:i\s+|we\s+)?(?:unsubscribe|unsub|optout"
    r"|get\s+off|get\s+removed|be\s+removed|turn\s+(?:\w+\s+){0,3}?off|block|stop(?:\s+(?:receiving"
    r"|getting|these|this|the|your|ur|them|all|it|" + _EN_MSGS[3:-1] + r")\b|\s*$))",
]))
_EN_MORE: Final = [
    # a refusal keyword recounted: "I replied END and you kept going", "I already said stop"
    r"\b(?P<pos7>replied|texted|sent|typed|said|say|saying|answered|responded|wrote|told\s+(?:you|u"
    r"|ya))\s+(?:with\s+|you\s+|u\s+|back\s+)?(?:stop|end|cancel|quit|unsubscribe|unsub|optout"
    r"|remove|td|no\s+more)\b",
    # where the way to refuse is: "whats the stop word", "is there an unsubscribe link"
    r"\b(?:where|wheres|whats|what\s+is|is\s+there|theres|any|need|send\s+me|give\s+me)\s+"
    r"(?:\w+\s+){0,2}?(?:stop|unsubscribe|unsub|optout)\s+(?:word|keyword|code|command|link"
    r"|button|option)\b",
    # the wrong person or a number no longer theirs: "I'm not the owner of this number"
    r"\bnot\s+the\s+(?:owner|user|subscriber|account\s+holder)\b"
    r"|\b(?:isnt|is\s+not|no\s+longer|not)\s+my\s+(?:number|phone|no|cell|mobile)\b",
    # regulators and the law by kind, not name
    r"\b(?:authorities|(?:the|to|a|telecom|telco)\s+regulators?|ombudsman|watchdog|trading\s+standards|imda|mcmc|accc|oaic"
    r"|cease\s+and\s+desist|blacklist(?:ed|ing)?)\b"
    r"|\b(?:violat\w*|breach\w*|against|breaking|under)\s+(?:of\s+)?(?:the\s+|my\s+)?(?:pdpa|gdpr"
    r"|ccpa|tcpa|privacy\s+laws?|the\s+law)\b",
    r"\bleave\s+(?:me|us)\s+be\b|\b(?:want|wants)\s+nothing\s+to\s+do\s+with\b|\bshut\s+up\b",
    # idioms for "stop it" (UK, US, Singapore): pack it in, give it a rest, lay off, back off
    r"\b(?:pack|give)\s+(?:it|that|this)\s+(?:in|a\s+rest)\b|\bgive\s+(?:it\s+)?over\s*$|\bjog\s+on\b"
    r"|\b(?:lay|back|buzz|bog|shove|naff|clear|rack|lay\s+the\s+\w+)\s+off\b(?!\s+(?:the\s+)?(?:price|"
    r"bill|order|payment|discount))|\bquit\s+it\b|\bput\s+a\s+sock\s+in\s+it\b"
    r"|\btake\s+the\s+hint\b|\benough\s+already\b|\bgive\s+(?:me|us)\s+a\s+break\s*$|\bsod\s+off\b"
    r"|\b(?:chill|ease\s+up|calm\s+down|tone\s+it\s+down|cool\s+it)\s+(?:with|on)\s+(?:the\s+|all\s+"
    r"(?:the\s+|these\s+)?|these\s+|your\s+|ur\s+)?(?:\w+\s+)?" + _EN_MSGS + r"\b",
    # Indian English: do not disturb, DND, TRAI, NCPR; deactivate these messages
    r"\b(?:trai|ncpr)\b|\bdnd\s+(?:complaint|registry|register|list|service|number)"
    r"|\b(?:registered|register|activated?|enabled?|under|in|on\s+the)\s+(?:the\s+|my\s+)?(?:dnd|ncpr"
    r"|do\s+not\s+disturb)\s+(?:list|registry|register|service)"
    r"|\b(?:i\s+am|im|number\s+is|my\s+number\s+is)\s+(?:in|under|registered\s+(?:in|under|for))\s+"
    r"(?:the\s+)?dnd\b"
    r"|^(?:(?:please|pls|plz|kindly|sir|madam)\s+)*(?:do\s+not|dont)\s+disturb(?:\s+(?:me|us|please"
    r"|pls|again|anymore|sir|madam))*\s*$"
    r"|\b(?:stop|dont|do\s+not)\s+disturb(?:ing)?\s+(?:me|us|this\s+number)\b",
    r"\b(?P<pos9>deactivate|disable|switch\s+off|turn\s+off)\s+(?:\w+\s+){0,2}?(?:texts?|messages|msgs"
    r"|sms|promotions|promos|promotional|marketing|spam)\b",
    # an earlier refusal recounted or ignored: "I stopped this a week ago", "did my STOP not go
    # through?", "you ignored my opt out", "how many times do I have to say it"
    r"\b(?P<recount>(?:i|ive|i\s+have|i\s+had|id|we|weve|already)\s+(?:already\s+|just\s+|literally\s+"
    r"|totally\s+|even\s+)?(?:(?:stopped|unsubscribed|unsubbed|optedout|blocked)\s+(?:this|these|it"
    r"|them|you|your|ur|all|from|the\s+(?:\w+\s+)?" + _EN_MSGS + r")"
    r"|(?:cancelled|canceled|ended|quit)\s+(?:these|them|you|your\s+(?:\w+\s+)?" + _EN_MSGS
    + r"|the\s+(?:\w+\s+)?" + _EN_MSGS
    + r"|this\s+(?:subscription|service|crap|stuff|spam|junk)|my\s+subscription)))\b",
    r"\b(?:stop|stopall|unsubscribe|unsub|optout|td)\s+(?:\w+\s+)?(?:not|didnt|did\s+not|never|doesnt"
    r"|hasnt|wasnt|isnt|wont)\s+(?:\w+\s+)?(?:go|gone|get|going|went|been|register|registered|process"
    r"|processed|received|stick|take|taken|taking|count|counted|work|working)\b"
    r"|\bignor(?:ed|ing|e|es)\s+(?:my|the|our|all\s+my)\s+(?:(?:stop|stops|optout|unsubscribe|unsub"
    r"|removal|td)\b|(?:request|requests|replies|reply)\s+to\s+(?:stop|be\s+removed|unsubscribe|optout"
    r"|remove|be\s+taken\s+off)\b)"
    r"|\bhow\s+many\s+(?:more\s+)?times\s+(?:\w+\s+){0,4}?(?:say|tell|ask|said|told|asked)\b"
    r"|\btold\s+(?:you|u|ya|yall)\s+(?:guys\s+|people\s+|all\s+)?(?:(?:already|before|twice|again"
    r"|(?:\w+\s+)?times)(?:\s+(?:lol|wtf|ffs|smh|man|bro|dude|mate|omg|now|ok))*\s*$|not\s+to\b"
    r"|no\b)",
    r"\bstill\s+(?:got|get|getting|received|receive|receiving|gettin)\s+(?:one|another(?:\s+one)?"
    r"|a\s+new\s+one|more|em|them|these)(?:\s+(?:today|yesterday|tonight|this\s+morning|this\s+week"
    r"|again|just\s+now|now|from\s+you|lol|wtf|smh|after\s+that))*\s*$"
    r"|\bstill\s+(?:got|received)\s+(?:a|an|another|one|more|your|ur|the|some)\s+(?:\w+\s+)?"
    + _EN_MSGS + r"\b",
    # the number changed hands in other words
    r"\bchanged\s+owners?\b|\b(?:just\s+|recently\s+)?got\s+this\s+(?:phone\s+)?number\b"
    r"|\b(?:he|she|they)\s+(?:no\s+longer|doesnt|does\s+not|dont|do\s+not)\s+(?:has|have|use|own)"
    r"\s+this\s+(?:number|phone)\b",
    r"\b(?:dont|never|do\s+not)\s+(?:ever\s+)?send\s+(?:me|anymore|again)(?:\s+(?:"
    + _alt(sorted(_POLITE_WORDS)) + r"))*\s*$",
]
_EN_PHRASES_MORE: Final = re.compile("|".join(_EN_MORE))
_EN_AGAIN: Final = re.compile(
    r"\b(?:(?P<undo>undo\s+(?:my\s+|the\s+|that\s+)?(?:unsubscribe|optout|opt\s+out|stop))"
    r"|(?:please|pls|plz|kindly)\s+(?:start|unstop|resume|restart)|(?:(?<=[,.!] )|^)start$"
    r"|resubscribe|resub|re\s+subscribe|subscribe\s+(?:me\s+)?(?:again|back)"
    r"|(?:opt|sign|add|put)\s+(?:me\s+)?back(?:\s+(?:in|up|on))?|opt\s+(?:me\s+)?in\s+again"
    r"|optin\s+again|sign\s+(?:me\s+)?up\s+again|(?:start|resume)\s+(?:again|sending|texting"
    r"|messaging)|(?:want|like|get|receive|have|send)\s+(?:\w+\s+){0,3}?(?:texts?|messages?"
    r"|alerts|offers|deals|updates|them|it)\s+(?:again|back)|unstop"
    r"|(?:turn|switch|put)\s+(?:\w+\s+){0,2}?(?:texts|messages|alerts|notifications|them|it)\s+back"
    r"\s+on)\b")
# A request to be messaged again in other words than the keywords ("opt me back in", "put me
# back on the list", "resume my texts"), standing alone.
_EN_RESUB: Final = re.compile(
    r"(?:(?:please|pls|plz|kindly|can|could|would|will|you|u|i|want|wanna|like|id|to|just|ok|okay"
    r"|hi|hey|hello)\s+)*"
    r"(?P<ask>(?:opt|sign|add|put|subscribe|turn|switch|bring)\s+(?:me|us|my\s+number|this\s+number"
    r"|my\s+(?:texts|messages|alerts))\s+back(?:\s+(?:in|on|up|into))?(?:\s+(?:on|to|in|into|onto)"
    r"\s+(?:the|your|ur|my)\s+(?:\w+\s+)?(?:list|texts|messages|alerts|subscription|program"
    r"|updates))?"
    r"|(?:resume|restart|reactivate|renew|reinstate|restore|turn\s+on|turn\s+back\s+on|switch\s+on"
    r"|unpause)\s+(?:my\s+|the\s+|your\s+|ur\s+|all\s+|sending\s+(?:me\s+)?)?(?:\w+\s+)?(?:texts"
    r"|messages|alerts|subscription|sms|notifications|updates|txts|msgs)"
    r"|(?:turn|switch)\s+(?:my\s+|the\s+|your\s+)?(?:\w+\s+)?(?:texts|messages|alerts"
    r"|notifications)\s+back\s+on"
    r"|(?:start|resume)\s+(?:sending|texting|messaging)\s+(?:me\s+)?(?:\w+\s+)?again"
    r"|opt\s+(?:me\s+)?in(?:\s+again)?)"
    r"(?:\s+(?:again|back|please|pls|plz|thanks|thank\s+you|thx|now|asap))*")
_EN_EARLIER: Final = re.compile(
    r"\b(?:opted\s*out|unsubscribed|(?:texted|replied|sent|typed|said|hit|pressed|answered"
    r"|responded)\s+(?:with\s+)?(?:stop|td|unsubscribe|end|cancel|quit|optout)"
    r"|stopped\s+(?:your\s+|the\s+|these\s+)?(?:texts|messages|alerts|them))\b")
# A question how, or by what means, to refuse: no question about the keyword.
_EN_HOW: Final = re.compile(
    r"\b(?:way|ways|option|options|means|method|methods)\s+(?:to|i\s+can|for\s+me\s+to)\b"
    r"|\bwhat\s+(?:do|should|can|must|would|shall)\s+(?:i|we)\s+(?:text|txt|reply|send|type"
    r"|write|say|respond|enter|put|answer)\b"
    r"|\b(?:what|which)(?:s|\s+is)?\s+(?:the\s+)?(?:word|keyword|code|command|letter|reply"
    r"|text)\s+(?:to|for|do|should|that|i|stops|ends|will\s+stop)\b")
# A refusal supposed, in a question about what it does ("can I rejoin later if I opt out?").
_EN_IF: Final = re.compile(
    r"\b(?:if|once|after|when)\s+(?:i|we|u|you)\s+(?:\w+\s+){0,2}?(?:optout|unsubscribe|unsub|stop"
    r"|cancel|td|reply|text)\b"
    # ...in French, Portuguese, German, Malay: si je réponds STOP, se eu responder, wenn ich
    r"|\b(?:si|se|wenn|falls|kalau|jika)\s+(?:je|j|on|nous|eu|ich|wir|saya|aku)\s+(?:\w+\s+){0,2}?"
    r"(?:stop|optout|unsubscribe|unsub|td|arret|sair|berhenti)\b")
_POSITIVE_GROUPS: Final = ("pos", "pos2", "pos3", "pos4", "pos5", "pos6", "pos7", "pos8", "pos9",
                           "pos10", "grievance")
_SPACED_LETTERS: Final = re.compile(r"(?<![a-z0-9])([a-z0-9]) (?=[a-z0-9](?![a-z0-9]))")
_ZEROS: Final = re.compile(r"0{4,}")
_OPT_OUT: Final = re.compile(r"\b(opt|opted|opting) out\b")  # one word, as the keyword is
_LATIN_RUN: Final = re.compile(r"[a-z0-9\u00c0-\u024f]+(?:[^a-z0-9\u00c0-\u024f\u3400-\u9fff]+"
                               r"[a-z0-9\u00c0-\u024f]+)*")


def normalise_reply(text: str) -> str:
    """The reply folded (app/rules/textnorm.py), trimmed of non-letters at both ends, whitespace
    collapsed: what `classify_reply` reads and the audit trail shows."""
    return _trimmed(fold(text))


def _trimmed(folded: str) -> str:
    first = _WORD.search(folded)
    if first is None:
        return ""
    last = _WORD.search(folded[::-1])
    assert last is not None
    trimmed = folded[first.start():len(folded) - last.start()]
    return _ODD_SPACE.sub(" ", trimmed) if _ODD_SPACE.search(trimmed) is not None else trimmed


def classify_reply(text: str) -> ReplyClass:
    """Classify one MO reply; see the module docstring for the rules and why."""
    normalised = normalise_reply(text[:AUDIT_CHARS])
    if len(text) > MAX_REPLY_CHARS:  # no person's SMS: fail safe, unread
        return ReplyClass(ReplyIntent.UNSUBSCRIBE, SCOPE_SENDER, TOO_LONG_KEYWORD, normalised)
    prepared = prepared_reply(text)
    own = plain(text)  # the reply in its own letters (replies_world.py)
    if _WORD.search(prepared) is None:
        return ReplyClass(ReplyIntent.NONE, SCOPE_SENDER, None, normalised)
    keyword = _refusal(prepared)
    if keyword is None:
        keyword = world_refusal(own)
        if keyword is not None:  # read in the reply's own letters: shown in them
            normalised = _trimmed(readable(text[:AUDIT_CHARS]))
    again = _again(prepared) if len(prepared) <= SHORT_REPLY else None
    if again is not None:  # (every refusal in it an earlier one it recounts: rule 5)
        return ReplyClass(ReplyIntent.RESUBSCRIBE, SCOPE_SENDER, again[:KEYWORD_CHARS],
                          normalised)
    if keyword is not None and _CALLS.search(keyword) is not None \
            and _TEXTS_INSTEAD.search(prepared) is not None:
        keyword = None  # 别再打电话了，发短信就行: calls refused, texts asked for
    if keyword is not None and "拒收" in keyword and _PARCEL.search(prepared) is not None \
            and _ZH_MSG.search(prepared) is None:
        keyword = None  # 快递我不要了，拒收: a parcel refused
    if keyword == "投诉" and _SERVICE.search(prepared) is not None \
            and _ZH_MSG.search(prepared) is None:
        keyword = None  # 外卖洒了一半，投诉: a complaint about the service, not the messages
    cleared = keyword is not None and (
        _someone_elses(prepared) or _not_the_messages(prepared, keyword) or _supposed_only(own)
        or _given_up(prepared) or _still_gets_asked(prepared) or _removal_forbidden(prepared)
        or (keyword in _BARE_CANCELS and _cancels_a_booking(prepared)))
    if cleared:  # not the replier's refusal, or not of the messages: the reader leaves it too
        # 老公说要退订，我不同意，继续发; 麻烦帮我退订，订单号HT2024... (a refusal in another
        # language beside it still refuses: the exemptions re-read the rest with these rules)
        keyword = world_refusal(own)
        if keyword is not None:
            normalised = _trimmed(readable(text[:AUDIT_CHARS]))
    if keyword is not None:
        keyword = keyword[:KEYWORD_CHARS]  # (0000... or tdtd... can be long)
        compact = keyword.replace(" ", "")
        scope = SCOPE_ALL if "stopall" in compact or keyword.endswith(" all") else SCOPE_SENDER
        return ReplyClass(ReplyIntent.UNSUBSCRIBE, scope, keyword, normalised)
    no_interest = _NO_INTEREST.fullmatch(normalised) or _GO_AWAY.fullmatch(normalised) \
        or _NO_INTEREST.fullmatch(prepared)  # (我唔要呀，唔该: read in Mandarin)
    if no_interest is not None:
        what = no_interest.group(no_interest.lastgroup or 0)  # the one named group it holds
        return ReplyClass(ReplyIntent.UNSUBSCRIBE, SCOPE_SENDER, what, normalised)
    script = unread_script(own)
    if script is not None:  # a script no rule reads: a refusal unless plainly harmless
        normalised = _trimmed(readable(text[:AUDIT_CHARS]))
        if harmless(own):
            return ReplyClass(ReplyIntent.NONE, SCOPE_SENDER, None, normalised)
        return ReplyClass(ReplyIntent.UNSUBSCRIBE, SCOPE_SENDER, f"unread {script} script",
                          normalised)
    intent, keyword = (_standing_alone(prepared) if len(prepared) <= SHORT_REPLY
                       else (ReplyIntent.NONE, None))
    if intent is not ReplyIntent.RESUBSCRIBE and not cleared and not _denies_refusal(prepared) \
            and not denies(own) and not kept_from_reader(own) \
            and (_PLEASE_KEEP.search(prepared) is None or _ANY_NEGATOR.search(prepared)
                 or _THREAT.search(prepared)) \
            and _WANTS_THEM.search(prepared) is None \
            and (_ASKS_FOR_MORE.search(prepared) is None
                 or _ANY_NEGATOR.search(prepared) is not None) \
            and _STOPS_A_PAYMENT.search(prepared) is None:
        learned = _LEARNED.cue(prepared)  # a refusal the rules do not list (fail safe)
        if learned is not None:
            return ReplyClass(ReplyIntent.UNSUBSCRIBE, SCOPE_SENDER, learned[:KEYWORD_CHARS],
                              normalised)
    if keyword is not None:
        return ReplyClass(intent, SCOPE_SENDER, keyword, normalised)
    return ReplyClass(ReplyIntent.NONE, SCOPE_SENDER, None, normalised)


def _supposed_only(own: str) -> bool:
    """Whether the reply's refusal is one it supposes in a question about what it does
    (配信停止したら…？): nothing else in the reply refuses."""
    if not supposes(own):
        return False
    rest = after_supposition(own) or ""
    return _refusal(prepared_reply(rest)) is None and world_refusal(rest) is None


# A booking described, with its order number or dates, in a reply whose only refusal is a bare
# 退订 in another clause (订的7月12日的海景房…麻烦帮我退订，订单号HT20240712889): the booking is
# cancelled, not the messages.
_BARE_CANCELS: Final = frozenset({"退订", "退定", "取消"})
_BOOKED: Final = re.compile(
    "订单|单号|酒店|民宿|机票|车票|航班|房间|客房|入住|押金|定金|订金|预订|预定|预约|门票")
_BOOKING_ID: Final = re.compile(r"单号|订单号|[a-z]{0,4}\d{6,}|\d{1,2}月\d{1,2}[日号]")


def _cancels_a_booking(prepared: str) -> bool:
    packed = _NOT_WORD.sub("", prepared)
    if _BOOKED.search(packed) is None or _BOOKING_ID.search(packed) is None \
            or _ZH_MSG.search(packed) is not None:
        return False
    return _refusal(_BARE_CANCEL_WORD.sub(" ", prepared)) is None  # no other clause refuses


_BARE_CANCEL_WORD: Final = re.compile("退订|退定|取消")
# Someone else's refusal, asked for (老公说要退订) and overruled by a request to keep the
# messages, or done (我妈退订了) and followed by a question about what it costs them: the only
# refusal in a reply that refuses nothing else is not the replier's.
_ZH_OTHERS: Final = (
    "(?:老公|老婆|家人|家里人|我妈|妈妈|我爸|爸爸|孩子|儿子|女儿|朋友|同事|他|她|别人)")
_OTHERS_ASKED: Final = re.compile(
    f"{_ZH_OTHERS}(?:说|让|叫|要)(?:要|让|帮我|给我|我)?(?:退订|拒收|取消订阅)")
_OTHERS_DID: Final = re.compile(
    f"{_ZH_OTHERS}(?:已经|早就|刚|刚刚)?(?:退订了?|拒收了?|取消订阅了?|回了?(?:td|t|r|n))")
# Someone else's suggestion to refuse, turned down (我妈让我退订，我才不呢; "My friend told me to
# reply STOP but I like the coupons").
_ZH_OTHERS_SAID: Final = re.compile(
    f"{_ZH_OTHERS}(?:让|叫|要|劝|说让|建议)我(?:退订|拒收|取消订阅|回(?:td|t|r|n))"
    "[,.!~。 ]*(?:但是?|可是|不过)?(?:我|本人)?(?:才不|偏不|就不|不听|不退|不想退|不干)"
    # (the turning down ends its clause: 我不要这些广告了 is the replier's own refusal)
    "(?:呢|要|嘛|了|啊|呀)*(?=$|[,.!~。 ])")
_EN_OTHERS_SAID: Final = re.compile(
    r"\b(?:told|asked|wants|want|said|says|keeps\s+telling|kept\s+telling)\s+(?:me\s+)?to\s+"
    r"(?:reply|text|send|type|just\s+reply|just\s+text)\s+(?:stop|end|quit|unsubscribe|cancel)\b"
    r"[\s,.!]*but\s+(?:i|we)\s+(?:really\s+|actually\s+|kinda\s+)?(?:like|love|enjoy|want|need)\b")
_EN_OTHERS_DID: Final = re.compile(
    r"\b(?:my\s+)?(?:husband|wife|sister|brother|mom|mum|dad|mother|father|son|daughter|kid|kids"
    r"|partner|roommate|flatmate|friend|boss|colleague|he|she)\s+(?:already\s+|just\s+)?"
    r"(?:unsubscribed|opted\s*out|optedout|replied\s+stop|texted\s+stop|sent\s+stop)\b")
# What follows someone else's refusal when it is not the replier's: a question, or the
# replier's own wish to keep the messages.
_ASKS_ON: Final = re.compile(
    r"吗|\?|是不是|会不会|还会|还能|\bdoes\s+(?:that|this|it)\b|\bwill\s+(?:i|it|that|my)\b")
_STILL_WANT: Final = re.compile(
    r"我还要收|还要收|我这个号别退|别退我|我要收|还想收|我没有?(?:退订?|拒收)|(?:i|we)\s+(?:still\s+)?want\s+(?:these|them"
    r"|the\s+texts)|keep\s+(?:them|these|the\s+texts)\s+coming")
# A refusal of another channel, the texts asked for ("I unsubscribed from your emails, but keep
# the texts coming", 我退订了你们家的杂志，但短信可以继续发).
_OTHER_CHANNEL: Final = re.compile(
    r"\b(?:emails?|e\s*mails?|newsletters?|magazines?|catalogs?|catalogues?|mailing)\b"
    "|杂志|邮件|邮箱|订单|外卖|会员卡|app推送|推送通知")
_KEEP_TEXTS: Final = re.compile(
    r"(?:短信|信息)(?:可以|还是|照样|照常|就)?(?:继续)?(?:发|照发)|(?:还是|继续|照样)发给我"
    r"|\bkeep\s+(?:the\s+)?(?:texts|messages|sms)\s+coming\b|\bstill\s+(?:send|text)\s+me\b"
    r"|\btexts\s+are\s+(?:fine|ok|okay)\b")
# A scammer reported or blocked (举报一下，有人冒充你们客服骗钱; 我把那个骗子号码拉黑了): not the
# messages.
_SCAM: Final = re.compile("冒充|假冒|骗子号码|那个骗子|诈骗电话|诈骗号码|有人骗")
_YOU_SCAM: Final = re.compile(
    "你们.{0,3}(?:骗|诈骗)|这是诈骗|诈骗短信|骗子短信|是骗子吧|把你们.{0,3}(?:拉黑|屏蔽)|(?:拉黑|举报|投诉)你们")
_SCAM_WORDS: Final = re.compile("举报|拉黑|投诉|骗子|骗钱|屏蔽")
# Whether the message is a scam, asked (这是真的吗还是骗子, 你们是骗子吗): a doubt, not a refusal.
_SCAM_ASKED: Final = re.compile(
    "(?:是真的吗|真的假的|是真是假)?(?:还是|是不是|该不会是|不会是)骗子(?:吧|吗|啊|呀|呢)?\\?*$|是骗子吗\\?*$")
# A refusal sent earlier, retracted ("ignore the STOP, that was my son", "disregard my last
# text"): not a new one (the one sent stands; asking it back is a resubscribe).
_EN_RETRACTED: Final = re.compile(
    r"\b(?:ignore|disregard|never\s*mind|nvm|scratch)\s+(?:my|the|that|this)\s+"
    r"(?:last\s+|previous\s+|earlier\s+)?(?:stop|td|unsubscribe|optout|opt\s+out|cancel|msg"
    r"|message|text|reply)\b")
# What a refusal would do, asked (退订以后，之前的订单还会发货吗): its consequence, not a refusal
# (a refusal recounted, 退订以后还收到, has no will or can).
_ASKS_REMOVAL: Final = re.compile("删|移除|注销|清除|不发|别发|不再发|停发")
_ZH_REFUSING_ASKED: Final = re.compile(
    "(?:请问)?(?:我|本人)?(?:退订|取消订阅|拒收)(?:之后|以后|后)[,]?[^,.!~?]{0,8}?"
    "(?:会|还会|能|还能|是否|是不是|会不会|能不能|还可以|可以)[^,.!~?]{0,16}(?:吗|么|呢)\\?*$")
# Two refusal words compared (退订和拉黑有什么区别): asked about.
_ZH_COMPARED: Final = re.compile(
    "(?:退订|拒收|拉黑|取消订阅|屏蔽|投诉|td|t|r)(?:和|与|跟|还是)(?:退订|拒收|拉黑|取消订阅|屏蔽|投诉|td|t|r)"
    ".{0,6}?(?:区别|不同|一样|差别)")
_ZH_HOW_KEYWORD: Final = re.compile("(?:怎么|怎样|如何|咋|怎么样)(?:才能)?(?:退订|取消)")
_BENEFIT_ASKED: Final = re.compile(
    "(?:券|积分|会员|优惠|权益|余额|生日|福利|礼品|红包).{0,8}(?:吗|么|\\?)")


def _without(pattern: re.Pattern[str], prepared: str) -> str | None:
    """The reply without the first match of `pattern`, or None if there is none. Matched in the
    reply as it is first, so its punctuation keeps the other clauses apart when they are read
    again ("再发就投诉。我朋友退订了" must not become 再发就投诉我); in the reply without
    punctuation only if that finds nothing."""
    found = pattern.search(prepared)
    if found is not None:
        return f"{prepared[:found.start()]},{prepared[found.end():]}"
    packed = _NOT_WORD.sub("", prepared)
    found = pattern.search(packed)
    return None if found is None else f"{packed[:found.start()]},{packed[found.end():]}"


def _someone_elses(prepared: str) -> bool:
    """Whether the reply's refusals are all someone else's (the span naming it removed, nothing
    else refuses: "他退订了，我也退订，可以吗？" still refuses)."""
    rest = _without(_OTHERS_ASKED, prepared)
    if rest is not None and _keeps_sending(prepared):
        return _refusal(rest) is None
    followed = _ASKS_ON.search(prepared) is not None or _STILL_WANT.search(prepared) is not None
    rest = _without(_OTHERS_DID, prepared) if followed else None
    if rest is not None:
        return _refusal(rest) is None
    english = _EN_OTHERS_DID.search(prepared)
    if english is not None and followed:
        return _refusal(f"{prepared[:english.start()]} {prepared[english.end():]}") is None
    said = _ZH_OTHERS_SAID.search(prepared)
    if said is not None:
        return _refusal(f"{prepared[:said.start()]},{prepared[said.end():]}") is None
    said = _EN_OTHERS_SAID.search(prepared)
    return said is not None and _refusal(
        f"{prepared[:said.start()]} {prepared[said.end():]}") is None

# A refusal meant and given up (本来想退订的，算了; 退订就算了; "I was going to reply STOP but
# nah"): none, when nothing else in the reply refuses.
_ZH_GIVEN_UP: Final = re.compile(
    "(?:本来|原本|刚才|刚刚|之前)?(?:想|打算|准备|要)(?:要)?(?:退订|拒收|取消订阅|回(?:td|t|r|n))(?:的|来着)?"
    "[,.!~。 ]*(?:算了|不退了|还是算了|想想还是算了|不退)"
    "|(?:退订|拒收|取消订阅)(?:就|还是)?算了")
_EN_GIVEN_UP: Final = re.compile(
    r"\b(?:was|were)\s+(?:going\s+to|gonna|about\s+to)\s+(?:\w+\s+){0,2}?(?:stop|unsubscribe|cancel"
    r"|optout|opt\s+out)\b.*\b(?:but|nah|then|changed)\b")
# A question whether other notices still come after a refusal (退订了还会收到账单通知吗): asked
# about, not a refusal ignored.
_ZH_STILL_GETS: Final = re.compile(
    "(?:退订|拒收|取消订阅)了?(?:以后|之后)?(?:还|也)(?:会|能)(?:收到|收)"
    ".{0,8}?(?:账单|验证码|通知|物流|快递|取件码|提醒|服务|还款).{0,4}?(?:吗|么|\\?)")


def _given_up(prepared: str) -> bool:
    packed = _NOT_WORD.sub("", prepared)
    found = _ZH_GIVEN_UP.search(packed)
    if found is not None:
        return _refusal(packed[:found.start()] + "," + packed[found.end():]) is None
    english = _EN_GIVEN_UP.search(prepared)
    return english is not None and _refusal(prepared[english.end():]) is None


# A removal forbidden (有活动记得通知我 别把我退订了): the messages wanted.
_ZH_DONT_REMOVE_ME: Final = re.compile(
    "(?:别|不要|不许|千万别|可别)把?我(?:的号码?|的号)?(?:给)?(?:退订|取消订阅|拉黑|删|移除)")


def _removal_forbidden(prepared: str) -> bool:
    packed = _NOT_WORD.sub("", prepared)
    found = _ZH_DONT_REMOVE_ME.search(packed)
    return found is not None and _refusal(
        packed[:found.start()] + "," + packed[found.end():]) is None


def _still_gets_asked(prepared: str) -> bool:
    packed = _NOT_WORD.sub("", prepared)
    asked = _ZH_STILL_GETS.search(prepared)
    return asked is not None and _ASKS_WHY.search(packed) is None and _refusal(
        f"{prepared[:asked.start()]},{prepared[asked.end():]}") is None


def _not_the_messages(prepared: str, keyword: str) -> bool:
    """A refusal of another channel with the texts asked for, a scammer reported or blocked,
    how to cancel a booking, or two refusal words compared: when nothing else refuses."""
    packed = _NOT_WORD.sub("", prepared)
    keep = _KEEP_TEXTS.search(prepared)
    if _OTHER_CHANNEL.search(prepared) is not None and keep is not None \
            and _keeps_sending(prepared, _KEEP_TEXTS):
        return _refusal(prepared[keep.end():]) is None  # ("…, keep the texts? no, stop them")
    if keyword in ("举报", "拉黑", "投诉", "拉黑了", "骗子") and _SCAM.search(packed) is not None \
            and _YOU_SCAM.search(packed) is None:
        return _refusal(_SCAM_WORDS.sub(" ", prepared)) is None
    rest = _without(_SCAM_ASKED, prepared) if keyword == "骗子" else None
    if rest is not None:  # 这是真的吗还是骗子: a doubt asked, not an accusation
        return _refusal(rest) is None
    retracted = _EN_RETRACTED.search(prepared)
    if retracted is not None:  # "oops ignore the STOP, that was my son"
        return _refusal(f"{prepared[:retracted.start()]} {prepared[retracted.end():]}") is None
    consequence = _ZH_REFUSING_ASKED.search(packed)
    if consequence is not None and _ASKS_REMOVAL.search(packed, consequence.start()) is None:
        # 退订以后，之前的订单还会发货吗 (not 退订以后你们能删除我的手机号吗: a removal asked for)
        return _refusal(f"{packed[:consequence.start()]},{packed[consequence.end():]}") is None
    if _ZH_HOW_KEYWORD.fullmatch(keyword) is not None and _ZH_COMMERCE.search(packed) is not None \
            and _ZH_MSG.search(packed) is None:
        return True  # 怎么退订机票
    compared = _ZH_COMPARED.search(packed)
    return compared is not None and _refusal(packed[:compared.start()]) is None \
        and _refusal(packed[compared.end():]) is None


# A parcel or a delivery named: 拒收 refuses it, not the messages.
_PARCEL: Final = re.compile("快递|包裹|外卖|到付|签收|派送|配送")
_SERVICE: Final = re.compile("外卖|快递|骑手|司机|客服|店员|服务员|洒了|坏了|破了|漏了|少了|质量")
# A reply that asks for the offer (链接发我, "put me down for two", "what's the code?") or lets
# them come (天天发也行): the learned reader, which reads n-grams, does not read it as a refusal.
_WANTS_THEM: Final = re.compile(
    "(?:链接|连接|优惠码|券|码|地址)(?:发|给)(?:我|一下)|发(?:个|一下|我)?(?:链接|连接|优惠码)"
    "|发也(?:行|可以|没事|没关系|无所谓)|可以多发|多发(?:点|一些|几条)|(?:我要|我想|让我|我愿意|请让我)(?:继续)?留在(?:你们的?)?(?:名单|列表|会员群)"
    r"|\bkeep\s+me\s+on\s+(?:the|your|this)\s+list\b"
    r"|\bput\s+me\s+down\s+for\b|\bwhat'?s\s+the\s+(?:code|link|promo|promo\s+code|discount)\b"
    r"|\bsend\s+me\s+the\s+(?:link|code|next\s+one)\b|\bsign\s+me\s+up\b|\bi'?ll\s+take\s+(?:one|two|it|them|\d)")
# ...or asks, unnegated, to be sent or told more (以后有新品告诉我, 以后打折都发我, 我要接收, "I'd
# like more updates like this", "I would like to keep getting these texts").
_ASKS_FOR_MORE: Final = re.compile(
    "(?:发|告诉|通知|推送?|提醒|发给|知会)(?:一下)?我(?:吧|哦|啊|呀|一下|一声|呗|哈|呀|哟)*$"
    "|^(?:我|本人)?(?:要|想|愿意|同意|希望)(?:能)?(?:继续|多|经常)?(?:接收|收到|收|订阅)"
    "(?:这种|这类|这些|更多)?(?:短信|信息|消息)?(?:的|了|啊|吧)*$"
    r"|\b(?:i|we)(?:'d|d|\s+would)?\s+(?:like|love|want|wanna|enjoy)\s+(?:to\s+)?"
    r"(?:keep\s+(?:getting|receiving)|(?:get|receive|hear|see)\s+more|more)\b"
    r"|\btell\s+me\s+more\b|\b(?:quite|very|really|so|im|i\s+am|i'm)\s+interested\b"
    r"|\bsend\s+(?:me\s+|us\s+)?more\b|\b(?:i|we)\s+(?:really\s+)?(?:like|love|enjoy)\s+(?:getting"
    r"|receiving|these|your\s+(?:texts|messages|offers|deals))\b")
# ...or asks, with nothing negated or threatened, to keep them coming ("Please keep sending
# them to this number").
_PLEASE_KEEP: Final = re.compile(
    r"\b(?:please|pls|plz|do)\s+keep\s+(?:them\s+|em\s+|it\s+)?(?:sending|coming|texting)"
    r"|\bkeep\s+(?:them|em|these|it)\s+coming\b|^keep\s+(?:texting|sending|messaging)\s+me\b")
_THREAT: Final = re.compile(r"\b(?:sue|report|complain|block|spam|lawyer|police)")
_ANY_NEGATOR: Final = re.compile(
    r"不|别|没|勿|甭|莫|休|停|退|拒|\b(?:not|no|dont|don't|never|stop|nor|neither|without)\b|n't\b")
# A payment or a service stopped by name ("stop my direct debit", 停止自动扣费, 宽带停了): the
# rules judged it, the learned reader does not turn it into a refusal.
_STOPS_A_PAYMENT: Final = re.compile(
    r"\b(?:stop|cancel|end|halt)\s+(?:\w+\s+){0,2}?(?:direct\s+debit|debit|payments?|autopay"
    r"|auto\s*pay|auto\s*renew\w*|renewal|standing\s+order|donations?|subscription\s+box"
    r"|deliver(?:y|ies))\b"
    "|(?:停止|取消|关闭|停掉?)(?:自动)?(?:扣费|扣款|续费|续订|代扣|缴费)|宽带(?:停|退|取消)")
# A refusal of calls or voice messages, in a reply that asks for texts instead: none.
_CALLS: Final = re.compile(r"电话|语音|来电|\bcall|\bcalling|\bvoice")
_TEXTS_INSTEAD: Final = re.compile(
    r"(?:发|用)?(?:短信|消息|信息|文字|打字)(?:说|联系|沟通|通知)?就(?:行|好|可以|ok)|打字说"
    r"|\btext\s+(?:me\s+|us\s+)?instead\b|\bjust\s+text\b|\btexts?\s+(?:are|is)\s+(?:fine|ok|okay)\b")


def prepared_reply(text: str) -> str:
    """The reply as every rule, and the learned reader, reads it: folded, Cantonese words in
    Mandarin, held letters single, disguises undone (`_prepared`)."""
    prepared = yue_to_mandarin(fold(text))
    if _HELD_LETTER.search(prepared) is not None:
        prepared = _HELD_LETTER.sub(r"\1", prepared)
    return _prepared(prepared)


# A whole reply that only says it has no interest or need (with politeness): to a sender's
# messages that is a refusal (judgment call, fail safe; "no thanks" or 取消 alone stay none).
_NO_INTEREST: Final = re.compile(
    r"(?:我|本人|老子|俺|咱|人家)?(?:真的|实在|暂时|都|也|完全)?"
    r"(?P<what>不需要了?|不要了|不要|不要这个|不要这些|不想要|不感兴趣|没兴趣|没有兴趣|没需要|没有需要)(?:了|的)?"
    r"(?:[\s,.!~。]*(?:谢谢你?们?|谢了|多谢|感谢|唔该晒?|请|哈+|啊|呀|啦|嘛|咯|呢|哦|噢|喔))*"
    r"|(?:i'?m |i am )?(?:really |just |totally |honestly )?"
    r"(?P<what_en>not interested|no interest|uninterested|not keen|(?:i )?(?:dont|don't|do not)"
    r" want (?:it|this|that|them|these|any)|i'?m out|im out|(?:ugh|argh|omg|smh|oh no)?[\s,.!]*"
    r"not again)"
    r"(?:[\s,.!]*(?:thanks|thank you|thx|ty|sorry|pls|please|mate|at all))*")
# 退退退 (slang: go away), alone, or 退 alone (the keyword cut short), 退掉 (take me off), 够了
# (enough), 取消 or 拒绝 alone: a refusal.
_GO_AWAY: Final = re.compile(
    "(?P<what>退退退+|退散)(?:吧|啊|啦|了)*|(?P<bare>退)(?:吧|啊|啦)*"
    "|(?P<enough>(?:退掉|受够了|够了|够够的)(?:[\\s,.!~。]*(?:退掉|够了))*)(?:吧|啊|啦|了|呀|哦)*"
    # 取消 or 拒绝 alone, as CANCEL alone: the gate cannot tell the booking it may answer
    "|(?:我|本人)?(?P<cancel>取消|拒绝|取消掉|拒绝了)(?:吧|啊|啦|了|呀|哦|谢谢|[\\s,.!~。])*"
    "|(?P<shut>闭嘴|住口|安静点|消停点)(?:吧|啊|啦|了|呀|哦|[\\s,.!~。])*"
    "|(?:我|本人)?(?:要|想)?(?P<leave>退出)(?:吧|啊|啦|了|呀|哦|[\\s,.!~。])*")
# Whether a refusal word is denied in the reply ("I do not wish to unsubscribe", 别停发): the
# learned reader, which reads n-grams, not their order, does not override that.
_ZH_DENIED: Final = re.compile(
    "(?:不|别|没|无需|无须|毋需|毋须|不用|不要|不必|勿)(?:要|想|用|必|需要|有)?(?:退订|拒收|停发|停止|停|取消订阅|删除|删掉|移除"
    "|讨厌|投诉|举报|拉黑)"
    "|(?:没有?|不是|并没有?)(?:让|叫|说过?|要求|要)(?:你们?|贵司)?(?:别|不要|停)"
    "|(?:^|[^a-z])(?:不|别|没|不用|不要)(?:回复?)?(?:td|t|r|n|0000)(?![a-z])"
    "|(?:停止|解除|中止|止め)(?:は|を)?(?:しないで|しない|やめて)"
    "|不是不(?:想|要|愿意?)(?:收|看|接收|要)"
    "|(?:不要|别|不许|不准)把?我的?(?:号码)?(?:移出|移除|删除|删掉|拉黑)")
_NOT_THAT_I_DONT: Final = re.compile(
    r"\bnot\s+that\s+(?:i|we)\s+(?:dont|do\s+not)\s+(?:want|like|need)\b|\bnot\s+not\b")
_EN_DENIABLE: Final = _words("stop unsubscribe unsub optout opt cancel quit end remove report "
                              "reporting sue suing berhenti")


def _denies_refusal(prepared: str) -> bool:
    """Whether the reply denies a refusal word: what the rules judged there, the learned reader
    leaves. (Not a reply naming a purchase: "STOP I sold the car" refuses.)"""
    if _CJK.search(prepared) is not None and (_ZH_DENIED.search(
            _NOT_WORD.sub("", prepared)) is not None or _ZH_AFTER_ASKED.search(prepared)):
        return True
    words = _spaced(prepared).split()
    joined = " ".join(words)
    if _NOT_THAT_I_DONT.search(joined) is not None:
        return True  # "it's not that I don't want these"
    if _EN_RETRACTED.search(joined) is not None:
        return True  # "nvm the STOP, my daughter sent it": an earlier refusal retracted
    return foreign_denied(joined) or any(
        _SLIP.get(word, word) in _EN_DENIABLE and _negated(words, i)
        for i, word in enumerate(words))  # (a slip is its keyword: "don't unsubscrbe me")


# What a refusal would do, asked (退订后你们会删除我的信息吗？): not one; not a refusal recounted
# (退订后还收到, 退订了之后还发, 怎么回事?).
_ZH_AFTER_ASKED: Final = re.compile(
    "(?:^|[,.!~。 ])(?:请问)?(?:我|本人)?(?:退订|取消订阅|拒收)(?:之后|以后|后)(?:你们|贵司|我)?"
    "(?:会|还会|能|还能|是否|是不是|会不会|能不能|可以|需要|要不要)[^,.!~。?]{0,16}(?:吗|么|呢)?\\?+$")
# An offered unsubscribe declined ("Unsubscribe? No, keep them coming", "退订?不用不用,继续发"):
# the echoed keyword and the decline are dropped, the rest is read as any reply (a refusal in
# it still wins). Only a decline set apart by punctuation or ending the reply, and followed by
# a request to keep the messages, counts.
_DECLINED: Final = re.compile(
    r"(?:unsubscribe|unsub|stop|optout|opt out|cancel|td|t|退订|取消订阅|拒收) ?\?+ ?"
    r"(?:(?:no thanks|no thank you|no way|nope|nah|no|never|not a chance|no chance|hell no"
    r"|of course not|are you kidding|you kidding|youre kidding|are you serious"
    r"|不用了?|不要|不了|不必|不需要|算了|不是|不存在的?|怎么可能|开玩笑|没门|想得美|不)"
    r" ?)+"
    r"(?:[,.!~。]+|$)")
# ...or declined by denying the refusal word itself (退订？才不退呢, 拒收？我不拒收): no request
# to keep them needed.
_REFUSAL_DENIED: Final = re.compile(
    r"(?:退订|退定|取消订阅|拒收) ?\?+ ?(?:我|本人)?(?:才|就|偏|绝|肯定|当然)?"
    r"(?:不|没|不会|不要|不想|不用)(?:退订?|退定|拒收|取消|想退|要退)(?:呢|啊|呀|了|的|哦|吧)*(?:[,.!~。]+|$)"
    # ...or by a Chinese "no" and nothing else (退订？不了不了, 退订？不不不): the reply ends there
    r"|(?:退订|退定|取消订阅|拒收) ?\?+ ?(?:(?:不了|不不+|不用了?|不必了?|算了|不存在的?|没门儿?"
    r"|门都没有|想得美|休想|怎么可能|(?:我|本人)?才不(?:呢|要|会)?)[ ]*)+(?:[,.!~。]+|$)"
    # ...or scorned (退订个鬼，我要优惠券)
    r"|(?:退订|退定|拒收|td) ?个(?:鬼|屁|头|毛线|锤子)(?:啊|呀|咧|哦|嘞)*(?:[,.!~。]+|$)")
# What makes a declined offer a decline: the reply goes on to ask for the messages. Without it
# ("Stop? No thanks") the echo may be the refusal itself, so it stays (fail safe).
_KEEP_SENDING: Final = re.compile(
    r"keep (?:them |'?em |it |the \w+ |on )?(?:coming|sending|texting|going)|continue|carry on"
    r"|(?:i|we) (?:like|love|want|enjoy) (?:them|these|it|your)|(?:i |we )?love (?:these|em)"
    r"|\blifeline\b|(?:my|the) (?:only|favou?rite) (?:texts|messages)|the only texts i"
    r"|(?:我|还)(?:在)?等着|继续|照发|照样|照常|接着发|留着|(?:我|本人)(?:很|挺|超|真|蛮|可|特别|还挺|非常)?(?:喜欢|爱看|爱收)"
    r"|我还要|我还想要|我还想收|我要收|我要的|要继续收|(?:我|我是)?要退(?:货|款)")
_NOT_KEEP: Final = re.compile(
    r"(?:别|不|勿|甭|莫|还|又|仍|照样|\b(?:dont|not|never|stop|why|you|u|they|still)\b)\W{0,2}$")


def _keeps_sending(text: str, keeping: re.Pattern[str] = _KEEP_SENDING) -> bool:
    """A request to keep the messages coming (继续发, keep them coming; or what `keeping`
    finds), not negated nor a complaint (别继续发了, you keep sending): what a negated refusal
    word says."""
    keep = keeping.search(text)
    return keep is not None and _NOT_KEEP.search(text, max(0, keep.start() - 8),
                                                 keep.start()) is None


# A weak keyword and a colon or dash before a booking ("CANCEL - dentist appt on the 12th"):
# one clause, so the booking reads as its object.
_KEYWORD_DASH: Final = re.compile(r"(cancel|end|quit|取消|退订) ?(?:-+|:) ?")


# A two-character refusal word with symbols typed inside it (退~订, 退…订, 退.订, 拒-收): one word.
_BROKEN_WORD: Final = re.compile(r"(退|拒)[~…\.\-_·*/|\\^+=#\s,、]{1,3}(订|定|收)")
# ...or an English keyword split at its prefix (UN SUBSCRIBE, un-subscribe, opt-out is "opt out").
_SPLIT_UNSUB: Final = re.compile(r"\bun[\s\-_.·]{1,3}(sub(?:scribe)?)\b")
# ...or split by what it did (退完订又来, 退了订还发): the refusal done.
_SPLIT_WORD: Final = re.compile("退[完了过]订(?!单|金|房|票|位|餐|酒|机|车|货)")
_SPLIT_CANCEL: Final = re.compile("取消[了过完]订阅")  # 取消了订阅还收到: 取消订阅了


# "Don't" in dialects (Wu 覅 and 勿要, northwestern 嫑, Hokkien 毋通, 毋好): 不要, so 覅再发了 reads
# as 不要再发了.
_DIALECT_NOT: Final = re.compile("覅|嫑|勿要|毋通|毋好|毋要")


# A refusal word in disguise: accents (tuì dìng), digits and symbols for letters (st0p, $top,
# unsubscr1be), pinyin (tuiding, ju shou), read as the word itself.
_ACCENTED: Final = re.compile(r"[\u00c0-\u024f\u1e00-\u1eff]")  # (Vietnamese: ữ, ắ, ệ)
_LEET_WORD: Final = re.compile(
    r"(?<![a-z0-9$@])(?=[a-z0-9$@]*[a-z])(?=[a-z0-9$@]*[0-9$@])[a-z0-9$@]{3,}")
_LEET: Final = str.maketrans("013457$@", "oieastsa")
_PINYIN: Final = re.compile(
    r"(?<![a-z])(?:(?P<neg>bu\s?yao|bu|bie|mei|buyao)\s?)?(?:(?P<td>tui\s?ding)|(?P<js>ju\s?shou)"
    r"|(?P<qx>qu\s?xiao\s?ding\s?yue))(?![a-z])")
_PINYIN_NEG: Final = {"bu": "不", "buyao": "不要", "bie": "别", "mei": "没"}
# ...or half in pinyin (tui订, 退ding, ju收, 拒shou).
_HALF_PINYIN: Final = re.compile(
    r"(?<![a-z])(?:tui\s?(订|定)|退\s?(ding)(?![a-z])|ju\s?收|拒\s?shou(?![a-z]))")


def _base_letter(match: re.Match[str]) -> str:
    letter = match.group()
    return "d" if letter == "đ" else unicodedata.normalize("NFD", letter)[0]


def _unleet(match: re.Match[str]) -> str:
    word = match.group()
    plain = word.translate(_LEET)
    return plain if plain in _LEET_TARGETS else word


def _hanzi(match: re.Match[str]) -> str:
    neg = match.group("neg")
    word = "退订" if match.group("td") else "拒收" if match.group("js") else "取消订阅"
    return (_PINYIN_NEG[neg.replace(" ", "")] if neg else "") + word


# "stop" in a hyphenated word (stop-and-go, start-stop, non-stop, stop-motion): one word.
_HYPHEN_STOP: Final = re.compile(
    r"\b(?:start|non|pit|bus|one|full|back|door|truck)-stop(?![a-z])"
    r"|\bstop-(?:and-go|n-go|motion|loss|gap|start|over|watch|light|sign)(?![a-z])"
    # ...and a face (T_T, T.T) or Portuguese "td bem" (tudo bem): no code
    r"|(?<![a-z0-9])t[_.~]+t(?![a-z0-9])|\btd\s+(?:bem|bom|certo|joia|tranquilo|ok)\b"
    # ...and a letter code hyphenated into a name (T-Mobile, T-shirt, R-rated, N-word)
    r"|(?<![a-z0-9'-])[tnr]-(?!stop|td|end|quit|cancel|unsub|opt|remove)[a-z]{2,}(?![a-z0-9-])")
# Zeros typed with a letter O among them (O000, 0o00): the 0000 keyword.
_O_ZEROS: Final = re.compile(r"(?<![a-z0-9])(?=[o0]*0)(?=[o0]*o)[o0]{4,}(?![a-z0-9])")


def _one_word(match: re.Match[str]) -> str:
    word = match.group()
    if word.startswith("td"):
        return "tudo" + word[2:]
    if word[1] == "-" and word[0] in "tnr" and "stop" not in word:
        return word.replace("-", "")  # T-Mobile: one name
    return " " if word[0] == "t" and "stop" not in word else word.replace("-", "")


# A keyword denied in Hinglish after it (unsubscribe mat karna): "dont unsubscribe".
_HINGLISH_NOT: Final = re.compile(
    r"\b(unsubscribe|unsub|stop|block|band)\s+(?:mat|mt|matt)\s+(?:karna|karo|kro|karen|kijiye|kar"
    r"|karein|karna\s+please)\b")


def _undisguised(text: str) -> str:
    """The reply with refusal words in disguise written plainly (one pass each, in C)."""
    if _HYPHEN_STOP.search(text) is not None:
        text = _HYPHEN_STOP.sub(_one_word, text)
    if _HINGLISH_NOT.search(text) is not None:
        text = _HINGLISH_NOT.sub(r"dont \1", text)
    if _O_ZEROS.search(text) is not None:
        text = _O_ZEROS.sub(lambda m: "0" * len(m.group()), text)
    if _ACCENTED.search(text) is not None:
        text = _ACCENTED.sub(_base_letter, text)
    if _LEET_WORD.search(text) is not None:
        text = _LEET_WORD.sub(_unleet, text)
    if _PINYIN.search(text) is not None:
        text = _PINYIN.sub(_hanzi, text)
    if _HALF_PINYIN.search(text) is not None:
        text = _HALF_PINYIN.sub(lambda m: "退订" if m.group(1) or m.group(2) else "拒收", text)
    return text


def _prepared(text: str) -> str:
    """The folded reply with refusal words in disguise written plainly, an echoed, declined
    keyword at its start dropped, a weak keyword joined to the booking after its dash, and a
    refusal word typed apart joined."""
    text = _undisguised(text)
    if _DIALECT_NOT.search(text) is not None:
        text = _DIALECT_NOT.sub("不要", text)
    if _BROKEN_WORD.search(text) is not None:
        text = _BROKEN_WORD.sub(r"\1\2", text)
    if _SPLIT_WORD.search(text) is not None:
        text = _SPLIT_WORD.sub("退订了", text)
    if _SPLIT_CANCEL.search(text) is not None:
        text = _SPLIT_CANCEL.sub("取消订阅了", text)
    if _SPLIT_UNSUB.search(text) is not None:
        text = _SPLIT_UNSUB.sub(r"un\1", text)
    declined = _DECLINED.match(text)
    if declined is not None and _KEEP_SENDING.search(text, declined.end()) is not None:
        text = text[declined.end():]
    else:
        declined = _REFUSAL_DENIED.match(text)
        if declined is not None:
            text = text[declined.end():]
    dash = _KEYWORD_DASH.match(text)
    if dash is not None and _names_a_booking(text[dash.end():]):
        text = f"{dash.group(1)} {text[dash.end():]}"
    return text


def _names_a_booking(rest: str) -> bool:
    words = _spaced(rest).split()
    if _CJK.search(rest) is not None:
        packed = _NOT_WORD.sub("", rest)
        return _ZH_COMMERCE.search(packed) is not None and _ZH_MSG.search(packed) is None
    if any(w in _REASON_OPENERS for w in words[:2]) or any(w in _GONE for w in words):
        return False  # "END - already bought a car", "END - account closed": a reason
    return any(w in _COMMERCE_WORDS for w in words) and not any(
        w in _MESSAGE_WORDS for w in words)


# ...or say what is gone ("END - account closed").
_GONE: Final = _words("closed deleted terminated cancelled canceled gone dead deceased")
# Words that open a reason after a keyword and its dash, not a booking it names.
_REASON_OPENERS: Final = _words(
    "already bought got found purchased went moved sold ive not no dont never")


# A clause supposing the sender's own refusal ("if I reply STOP", "once we opt out").
_OWN_IF: Final = re.compile(r"\s*(?:if|once|after|when)\s+(?:i|we|my\s+\w+)\b"
                            r"|\s*(?:si|se|wenn|falls|kalau|jika)\s+(?:je|j|on|nous|eu|ich|wir|saya|aku)\b")
# A clause supposing the sender's own refusal itself, in a reply that asks ("if I reply STOP,
# ...?", 如果回复R拒收，...？): a consequence asked about, whatever the clause holds.
_SUPPOSES_REFUSAL: Final = re.compile(
    r"(?:.*?\W)?(?:(?:so|and|but|ok|okay|well|hmm|um|wait|then)\s+)?(?:if|once|after|when)\s+(?:i|we)\s+"
    r"(?:\w+\s+){0,2}?(?:optout|opt\s+out|unsubscribe|unsub"
    r"|stop|cancel|td|reply|text)\b|\s*(?:如果|要是|假如|万一|若)(?:我|本人)?(?:回复?|退订|拒收|取消订阅)"
    # ...in Malay (kalau reply STOP kena caj ke?)
    r"|\s*(?:kalau|kalo|klu|kalu|jika|jikalau)\s+(?:saya\s+|aku\s+|sy\s+)?(?:reply|balas|hantar|send"
    r"|taip|tekan|unsubscribe|unsub|stop|berhenti|optout)\b")
# ...or asking what a keyword means ("my kid asked what reply STOP means, can you explain?").
_ASKS_MEANING: Final = re.compile(r"\bwhat\b.*\b(?:means?|meaning|stands?\s+for)\b|\bexplain\b")
# ...asked without a question mark ("what does OPTOUT mean at the bottom of the msg").
_WHAT_MEANS: Final = re.compile(
    r"\s*(?:(?:so|and|hey|hi|um|ok|wait)\s+)?what\s+(?:does|do|is|s|'s)\s+(?:\w+\s+){0,3}?"
    r"(?:mean|means|meaning|stand\s+for|stands\s+for)\b")


# Keywords alone, compared in what follows ("STOP and STOPALL, what's the difference?").
_KEYWORDS_ONLY: Final = re.compile(
    r"\s*(?:(?:stop|stopall|unsubscribe|end|cancel|quit|td|t|r|n|退订|拒收|and|or|vs|和|与|跟|还是)\s*)+")
_ASKS_DIFFERENCE: Final = re.compile(r"\bdifference\b|\bwhich\s+one\b|区别|不同|哪个")


# A clause quoting the message's own words (这条短信说回R拒收, "the text says reply STOP"), when a
# later clause asks what they mean: a question, not a refusal.
_QUOTES_MESSAGE: Final = re.compile(
    "(?:短信|信息|消息|上面|里面|广告|末尾|最后|后面|结尾|它|你们)(?:上|里|中|的)?(?:都|也|总)?"
    "(?:说|写着?|写的是?|提示|显示|标着?|注明)"
    # ...or the notice itself recited (拒收请回复R, 回T退订): asked about only by what follows
    "|^(?:拒收|退订)请?回复?[a-z0-9]+$|^回复?[a-z0-9]+(?:退订|拒收)$"
    r"|\b(?:text|message|msg|sms|it|ad|notice|footer|bottom)\s+(?:says|said|reads)\b")
_ASKS_WHY: Final = re.compile("为啥|为什么|为何|干嘛")
_ASKS_MEANING_AFTER: Final = re.compile(
    r"什么意思|啥意思|是什么|是啥|何意|咩意思|乜意思|\bmeans?\b|\bmeaning\b|\bstands?\s+for\b"
    r"|会不会影响|影不影响|有没有影响|会影响|收费|扣费|要钱|花钱|付费|\bcost\b|\bcharged?\b")


def _quotes_message(clause: str) -> bool:
    """Whether the clause quotes the message ("the text says", 短信说) or recites its notice."""
    return _QUOTES_MESSAGE.search(clause) is not None \
        or _QUOTES_MESSAGE.search(_NOT_WORD.sub("", clause)) is not None


def _refusal(text: str) -> str | None:
    """The refusal keyword of the first clause that refuses, if any (rules 2 and 3).

    Clauses are found from their triggers: the text between is skipped in C, and each
    distinct clause is read once, within ANALYSIS_BUDGET characters in all."""
    read: dict[str, str | None] = {}
    supposed = False  # a clause supposed the sender's own refusal ("if I unsubscribe")
    budget = ANALYSIS_BUDGET
    backwards: str | None = None  # the text reversed, to find where a clause starts
    pos, size = 0, len(text)
    while pos < size:
        trigger = _TRIGGER.search(text, pos)
        if trigger is None:
            return None
        if backwards is None:
            backwards = text[::-1]
        before = _SEP.search(backwards, size - trigger.start(), size - pos)
        start = size - before.start() if before is not None else pos
        after = _SEP.search(text, trigger.end())
        end = after.start() if after is not None else size
        run = _SEP_RUN.match(text, end) if after is not None else None
        question = run is not None and "?" in run.group()
        clause = text[start:end]
        if not question and (("?" in text[end:] and (
                _OWN_IF.match(clause) is not None or _ASKS_MEANING.search(clause) is not None))
                or _WHAT_MEANS.match(clause) is not None):
            question = True  # "If I reply STOP, will I still get my codes?"
        asked = question or "?" in text[end:]
        if asked and (supposed or _SUPPOSES_REFUSAL.match(clause) is not None):
            supposed = True
            pos = run.end() if run is not None else size
            continue  # "if I unsubscribe, does my kid still get the alerts?": its consequence
        if _OWN_IF.match(clause) is not None:
            supposed = True
        if _KEYWORDS_ONLY.fullmatch(clause) is not None and _ASKS_DIFFERENCE.search(text, end):
            pos = run.end() if run is not None else size
            continue  # "STOP and STOPALL, what's the difference?"
        key = f"{clause}?" if question else clause
        if key in read:
            found = read[key]
        else:
            budget -= len(clause)
            if budget < 0:
                return BUDGET_KEYWORD
            found = read[key] = _clause_refusal(clause, question)
        if found is not None and _quotes_message(clause) and (
                _ASKS_MEANING_AFTER.search(text, end) is not None
                or _ASKS_WHY.search(clause) is not None):
            found = None  # 短信说回R拒收，R是什么意思; 为啥你们的短信结尾都写回T退订: asked about
        if found is not None:
            return found
        pos = run.end() if run is not None else size
    return None


def _clause_refusal(clause: str, question: bool) -> str | None:
    """The keyword if this clause refuses messages."""
    spaced = _spaced(clause)
    if _CJK.search(clause) is None:
        words = spaced.split()
        return _english_refusal(words, question) or foreign_refusal(" ".join(words), question) \
            or _english_fallback(words, question)
    compact = _NOT_WORD.sub("", spaced)
    found = _chinese_refusal(compact) or _chinese_fallback(
        compact, question or _ZH_ASKING_END.search(compact) is not None)
    if found is not None:
        return found
    found = _leading_code(spaced, question)
    if found is not None:
        return found
    for run in _LATIN_RUN.findall(spaced):  # English words among Chinese ones
        words = run.split()
        if len(words) > 1:  # (a keyword alone is a code above, checked among its neighbours)
            found = _english_refusal(words, question)
            if found is not None:
                return found
    return None


def _leading_code(spaced: str, question: bool) -> str | None:
    """A code or a refusal word set apart at the start of a Chinese clause ("TD 一天发八百条有意思
    吗", "R/换号了", "退订 什么玩意"): what follows is a reason or a complaint in any words, unless
    it asks about the code (TD 是什么意思, T 收费吗) or what refusing does (退订 会员还有效吗), or
    names a booking (退订 酒店房间). A code fused into a word (T恤, TD银行, N95) is no such code."""
    first, _, rest = spaced.partition(" ")
    if not rest:
        return None
    packed = _NOT_WORD.sub("", rest)
    if _ZH_ABOUT_START.match(packed) is not None or (
            _ZH_CONSEQUENCE.search(packed) is not None
            and (question or _ZH_ASKING_END.search(packed) is not None)):
        return None
    if _ZH_LEADING.fullmatch(first) is not None:
        return first if _ZH_COMMERCE.search(packed) is None or _ZH_MSG.search(packed) \
            or _ZH_REASON_DONE.fullmatch(packed) is not None else None
    word = _SLIP.get(first, first)
    if word == "td" and _TD_NAME.match(rest) is not None:
        return None  # TD-LTE信号不好: a name, not the code
    if word in _LEADING_CODES or _ZEROS.fullmatch(word) is not None or _repeated_code(word):
        return word
    return None


# Names that begin with TD (mobile networks, banks): TD-LTE, TD-SCDMA, TD Bank.
_TD_NAME: Final = re.compile("(?:lte|scdma|cdma|bank|ameritrade|securities)(?![a-z])")


def _spaced(clause: str) -> str:
    """Words apart by one space: apostrophes dropped (don't → dont), other non-letters are
    spaces, letters typed apart joined (T D → td), opt out one word."""
    text = _NOT_WORD.sub(" ", clause.replace("'", "")).strip()
    if _SPACED_LETTERS.search(text) is not None:
        text = _SPACED_LETTERS.sub(r"\1", text)
    return _OPT_OUT.sub(r"\1out", text) if "opt" in text else text


# --- Chinese ---------------------------------------------------------------------------------


def _chinese_refusal(compact: str) -> str | None:
    """Units anywhere in the compact clause, each checked in context (rule 3)."""
    removal = _REMOVE_VERB.search(compact)
    if removal is not None and (_REMOVE_OBJECT.search(compact) is not None
                                or _ZH_REMOVE_ALONE.fullmatch(compact) is not None) \
            and _ZH_WILL_IT.search(compact, max(0, removal.start() - 24), removal.start()) is None \
            and _ZH_REMOVAL_NEGATED.search(compact, max(0, removal.start() - 30),
                                           removal.start()) is None \
            and _ZH_NEGATED.search(compact, max(0, removal.start() - 8), removal.start()) is None \
            and _ZH_WOULD.search(compact, 0, removal.start()) is None:
        return removal.group()
    pos = 0
    while (unit := _UNITS.search(compact, pos)) is not None:
        if _holds(unit, compact):
            return unit.group()
        pos = unit.start() + 1  # (a unit is a few characters: linear)
    return None


def _holds(unit: re.Match[str], compact: str) -> bool:
    """Whether a keyword found in a clause is a refusal there (rule 3)."""
    kind, start = unit.lastgroup, unit.start()
    if kind == "complaint" and compact.startswith(_RHETORICAL, unit.end()):
        return True  # 这不是骚扰是什么: "if this is not harassment, what is"
    if _FB_NOT_WHOLE.search(compact, max(0, start - 8), start):
        return False  # 我没说不要发, 我并没有要求停止发送: the refusal denied as a whole
    if _ZH_DOUBLE_NEG.match(unit.group()) is not None:
        return False  # 不要不发呀: sending asked for, twice denied
    if _ZH_ORDERED_THING.match(compact, unit.end()) is not None:
        return False  # 退订的那双鞋: an order cancelled, the thing named
    if compact.startswith(_TOPIC_DENIED, unit.end()):
        return False  # 退订是不可能退订的: the word a topic, and denied
    if compact.startswith("的话", unit.end()):
        return False  # 退订的话，优惠券还能用吗: a hypothesis
    if unit.group() in _BLOCKS and _ZH_BLOCKED_ME.search(compact, max(0, start - 4), start):
        return False  # 我被拉进黑名单了: the writer blocked somewhere, not blocking the sender
    if kind == "cancelsub":
        return _ZH_NEGATED.search(compact[max(0, start - 8):start]) is None
    if kind == "complaint":  # 我没有投诉你们: a complaint denied; 回0000会不会把短信都屏蔽: asked
        return _ZH_NOT_COMPLAINING.search(compact, max(0, start - 8), start) is None \
            and _ZH_WILL_IT.search(compact, 0, start) is None \
            and _ZH_WOULD.search(compact, 0, start) is None
    if kind == "negsend" and _ZH_PRODUCT.search(compact, unit.end(), unit.end() + 8) is not None \
            and _ZH_MSG.search(compact) is None:
        return False  # 别再发那个颜色了: a product shipped, not messages
    if kind not in ("chain", "verb", "code", "stop"):
        return True
    if kind == "stop" and _STOP_ALONE.match(compact, start) is None:
        return False
    if compact[max(0, start - 2):start] in _UNDO:  # 取消退订, 解除退订: a resubscribe
        return False
    if _ZH_NEGATED.search(compact[max(0, start - 8):start]) is not None:
        return False
    if _ZH_IF.search(compact[max(0, start - 8):start]) is not None:
        return False
    if _asks_about(compact, kind):
        return False
    weak = kind == "code" and unit.group() in _WEAK_CODES
    return not ((kind in ("verb", "stop") or weak) and _ZH_COMMERCE.search(compact) is not None
                and _ZH_MSG.search(compact) is None)


def _asks_about(compact: str, kind: str) -> bool:
    """Whether a clause holding a keyword asks about it rather than for it."""
    if _ZH_ABOUT.search(compact) is None:
        return False
    if kind == "code" or kind == "chain":  # 回TD是退订吗, TD是什么意思
        return True
    return _ZH_HOW.search(compact) is None


# --- the fail-safe fallback ------------------------------------------------------------------
# A clause no rule above matched still refuses when it holds a stop or unwanted cue and a
# messaging object close together (请停止向本号码发送营销短信, 短信烦死了, please cease all
# communication): refusals come in more constructions than can be listed, and a missed one
# cannot be repaired. Words that only look like a cue (停车, 别忘了, 麻烦, 退款) are no cue; a
# cue negated as a whole (没说过不要发), a question about refusing (退订是只退短信还是…), commerce
# (别发货) and someone else's words (他说别发) are no refusal.
_FB_CUE: Final = (
    "(?:停止|停(?!车|电|水|业|留|靠|顿|泊|工|课|机|放|产|牌|当|息|药|摆|播|刊|运|售|用|办|诊|航|飞|滞)"
    "|(?<![特区分告类性个级识差辨离道派鉴判送惜诀临])别(?!人|的|忘|客气|急|担心|墅|致|扭|针|处|名|着急"
    "|怕|慌|介意|管|理|看|说|走|动|哭|生气|误会|搞错|弄错|放|挂|关|让|拿|迟到|等|漏)"
    "|不要(?!忘|紧|客气|急|担心|辣|怕|慌|介意|走|动|哭|生气|误会|搞错|弄错|放|挂|关|等|漏)"
    "|勿|莫|甭|不想|不用再|不必再|够了|(?<![麻厌])烦(?!请|劳)|骚扰|滚|拉黑|删|移除|去掉"
    "|退(?!款|货|房|票|休|钱|费|税|烧|步|役|伍|押|还|换|回|学|群|出群|单|租|保|赔|差|定金|订金)|拒)")
_FB_OBJ: Final = (
    "(?:(?<![头出开沙理先引爆突蒸自批分收激焕奋启散])发(?!票|货|烧|现|生|展|型|工资|薪|布|表|言|芽|酵"
    "|动|射|明|挥|达|育|音|炎|财|福|疯|呆|愁|抖|热|光|胖|霉|誓|行|放|起|出|邮件|帖|朋友圈|红包|快递"
    "|包裹|件|车|给你|错|去|到(?!我|这|本|此)|顺丰|韵达|圆通|中通|申通|极兔|邮政|ems|京东|德邦)"
    "|传(?!真|统|说|染|奇|播|承|球|单)|寄(?!件|快递|包裹|存|养|宿|生|托)"
    "|推(?!迟|车|开|门|倒|动|进|翻|辞|测|理|断|拿|拉|荐人|出新|算|敲|卸|托)"
    f"|{_MSG}|讯息|营销|号码|联系|打扰(?!模式)|打电话)")
_FB_NEAR: Final = re.compile(
    f"{_FB_CUE}.{{0,10}}?{_FB_OBJ}"
    f"|{_FB_OBJ}.{{0,6}}?(?:不要|别|不想|不用|不必|够了|(?<![麻厌])烦|停|滚|拉黑|删|勿)")
_FB_REFUSAL_WORD: Final = re.compile(f"{_VERB}|退|拒")
_FB_OTHER_VERB: Final = re.compile("换|改|办|买|记|查|填|留|错过|漏|忘|收藏|保存|保留|关注|了解")
_FB_KEEP: Final = re.compile("别|不要|勿|莫|甭")
_FB_DONT_STOP: Final = re.compile("(?:别|不要|勿|不用)(?:停|断|取消)")
_FB_BLOCK_DENIED: Final = re.compile("(?:没有?|不会?|未|还没)(?:拉黑|屏蔽|拦截)")
_FB_BLOCK: Final = re.compile("拉黑|屏蔽|拦截")  # 不要拉黑我的号码: a block forbidden
_FB_NOT_WHOLE: Final = re.compile(
    "(?:没|没有|从没|从来没有?|并没有?|不是|并不是|我又没)(?:说过?|讲过?|提过?|要求过?|让你们?|叫你们?|要你们?)?"
    "(?:要|想)?$")
_FB_ABOUT: Final = re.compile(
    "会不会|是否|还是|是只|只退|连.{0,4}?也|能不能收到|还能|还会|还可以|影响|积分|会员|余额|收费|扣费|的话"
    "|是不是也|也收不到|就收不到"
    "|听说|据说|听人说|网上说|有人说"
    "|(?:如果|要是|假如|万一|一旦)")
_FB_OTHERS: Final = re.compile(
    "(?:他|她|他们|她们|我妈|我爸|朋友|同事|老公|老婆|孩子|儿子|女儿|客户|老板|领导|别人)"
    "(?:说|让我|叫我|要求|跟我说|告诉我)")
_EN_FB_CUE: Final = re.compile(
    r"\b(?:stop|stopall|cease|quit|no\s+more|(?:no|any)\s+further|never\s+(?:\w+\s+)?(?:want|again)"
    r"|(?:dont|do\s+not)\s+(?:\w+\s+)?(?:want|need|send|text|message|contact|email)|leave\s+me|remove|delete"
    r"|unlist|block|spam(?!\s+(?:folder|filter|box|boxes))|harass|unsubscribe|optout|unsub)\b")
_EN_FB_OBJ: Final = re.compile(
    r"\b(?:messages?|msgs?|texts?|txts?|sms|communications?|contact|contacting|hear\s+from"
    r"|emails?|ads|adverts?|advertising|marketing|promos?|promotions?|promotional|list|lists"
    r"|number|mailing|newsletters?|notifications?)\b")
# Annoyance at the messages or the sender ("these texts are so annoying", "sick of you", "you're
# blowing up my phone"): a refusal by what it says of them.
_EN_ANNOYED: Final = re.compile(
    r"\b(?:annoying|annoyed|irritating|sick\s+of|tired\s+of|fed\s+up|blowing\s+up|blow\s+up"
    r"|bombard\w*|flooding|pester\w*|nagging|hounding|bugging|harassing|spamming)\b")
_EN_ANNOYED_AT: Final = re.compile(
    r"\b(?:messages?|msgs?|texts?|txts?|sms|ads|marketing|promos?|notifications?|emails?|spam"
    r"|phone|inbox|cell|you|u|ur|your|yall|ya)\b")
_EN_FB_ABOUT: Final = re.compile(
    r"\bif\s+(?:i|we|u|you)\b|\bstill\s+(?:get|receive)|\brejoin\b|\bwhat\s+happens\b"
    r"|\b(?:will|would)\s+(?:i|we)\b|\blater\b")
_EN_FB_OTHERS: Final = re.compile(
    r"\b(?:he|she|they|my\s+\w+|someone|somebody)\s+(?:said|says|told|asked|wants|wanted)\b")


def _chinese_fallback(compact: str, question: bool) -> str | None:
    """A cue and a messaging object together in a clause no rule matched: a refusal."""
    typo = _ZH_TYPO_ALONE.fullmatch(compact)
    if typo is not None:
        return typo.group()
    near = _FB_NEAR.search(compact)
    if near is None or _FB_NOT_WHOLE.search(compact, max(0, near.start() - 8), near.start()):
        return None
    if _FB_OTHER_VERB.search(near.group()) is not None:
        return None  # 不想换号码, 不想错过通知: the cue is about something else
    if _ZH_DOUBLE_NEG.search(near.group()) is not None:
        return None  # 不要不发呀: sending asked for, twice denied
    if _FB_BLOCK_DENIED.search(near.group()) is not None:
        return None  # 唯一没拉黑的营销短信: a block denied
    if _FB_DONT_STOP.search(compact, max(0, near.start() - 2), near.end() + 2) is not None:
        return None  # 学校通知别停, 不要停止发送: a stop forbidden
    if _keeps_sending(compact) or _ZH_NEGATED.search(
            compact, max(0, near.start() - 8), near.start()) is not None:
        return None  # 不用退订继续发, 不拒收照常发: the cue negated, the messages wanted
    if _FB_KEEP.match(near.group()) is not None and (
            _REMOVE_VERB.search(compact, near.start()) or _FB_REFUSAL_WORD.search(near.group())
            or _FB_BLOCK.search(compact, near.start()) is not None):
        return None  # 别把我的号码删了, 不要退订我的号码: a removal or a refusal forbidden
    if _FB_ABOUT.search(compact) is not None or _FB_OTHERS.search(compact) is not None:
        return None
    if (_ZH_COMMERCE.search(compact) is not None or _ZH_PRODUCT.search(compact) is not None) \
            and _ZH_MSG.search(compact) is None:
        return None
    if question and _ZH_HOW.search(compact) is None and "退" in near.group():
        return None
    return near.group()


def _english_fallback(words: list[str], question: bool) -> str | None:
    """As `_chinese_fallback`, for English words."""
    joined = " ".join(words)
    cue = _EN_FB_CUE.search(joined)
    obj = _EN_FB_OBJ.search(joined) if cue is not None else None
    if cue is None or obj is None:
        cue = _EN_ANNOYED.search(joined)
        obj = _EN_ANNOYED_AT.search(joined) if cue is not None else None
        if cue is None or obj is None or any(w in _PURCHASE_WORDS for w in words):
            return None
    before = joined[:cue.start()].split()
    if _negated(before, len(before)) or _EN_FB_OTHERS.search(joined) is not None:
        return None
    if question and (_EN_FB_ABOUT.search(joined) is not None or _asks_about_en(words, question)):
        return None
    if _keeps_sending(joined) or _NOT_TO_REFUSE.match(joined, cue.end()) is not None:
        return None  # "I don't want to cancel the texts": a refusal refused
    if any(w in _PURCHASE_WORDS for w in words) and obj.group() in ("number", "list", "lists",
                                                                    "contact"):
        return None
    return cue.group()


_NOT_TO_REFUSE: Final = re.compile(
    r"\s+to\s+(?:cancel|stop|unsubscribe|unsub|optout|end|quit|lose|miss|remove|block)\b")


# --- English ---------------------------------------------------------------------------------


def _english_refusal(words: list[str], question: bool) -> str | None:
    if not words:
        return None
    slipped: frozenset[int] = frozenset()
    if "opt" in words or any(w in _SLIP for w in words):
        words, slipped = _unslipped(words)
    joined = " ".join(words)
    for phrases in (_EN_PHRASES, _EN_PHRASES_MORE):
        found = _english_phrase(phrases, joined, words, question)
        if found is not None:
            return found
    for i, word in enumerate(words):
        if word in _STRONG or word in _WEAK or _ZEROS.fullmatch(word) or _repeated_code(word):
            if i in slipped:  # a slip of a short or weak keyword: only among politeness
                keyword = word if _among_filler(words, i) and not _negated(words, i) \
                    and not _asks_about_en(words, question) else None
            else:
                keyword = _english_keyword(words, i, question)
            if keyword is not None:
                return keyword
    return None


def _english_phrase(phrases: re.Pattern[str], joined: str, words: list[str], question: bool
                    ) -> str | None:
    """The first refusal phrase in the clause; a positive one (a command) counts only when not
    negated nor asked about."""
    for match in phrases.finditer(joined):
        if _WHO_SAID.search(joined, max(0, match.start() - 12), match.end()) is not None:
            continue  # "who said stop? keep em coming"
        if _EN_DOUBLE_NEG.search(joined, 0, match.start()) is not None and (
                _NEGATOR_IN.search(match.group()) is not None
                or joined.startswith("not that", max(0, match.start() - 16))):
            continue  # "I don't want to NOT get these", "it's not that I don't want these"
        if match.group() in _THIRD_PARTY_SPAM and _asks_about_en(words, question) \
                and any(w in _STRONG or w in _WEAK for w in words):
            continue  # "does replying STOP confirm my number to spammers?": asked about
        groups = match.groupdict()
        if groups.get("still") is not None and (
                _asks_to_keep(words, joined[match.end():], question)
                or _wishes_to_keep(joined[:match.start()])):
            continue  # "can I still get the birthday coupon (if I opt out)?", "I want to keep.."
        if groups.get("offlist") is not None and any(
                w in _NEGATORS for w in joined[:match.start()].split()[-4:]):
            continue  # "not trying to get off the list"
        if any(groups.get(g) is not None for g in _POSITIVE_GROUPS):
            before = joined[:match.start()].split()
            asked = (question or groups.get("pos10") is None) and _asks_about_en(words, question)
            if _negated(before, len(before)) or asked:
                continue
            if (groups.get("grievance") is not None or groups.get("recount") is not None
                    or groups.get("pos2") is not None or groups.get("pos3") is not None) \
                    and _about_a_purchase(joined[match.end():].split()):
                continue  # a complaint about an order; off a waitlist, out of a booking
        return match.group().strip()
    return None


# A negator right before a refusal phrase that holds one itself, or "not that" before it: a
# double negative.
_EN_DOUBLE_NEG: Final = re.compile(
    r"(?:\b(?:dont|not|never|didnt|doesnt)\s+|\bnot\s+that\s+(?:i|we)\s+)$")
_NEGATOR_IN: Final = re.compile(r"\b(?:not|dont|never|no)\b")
_THIRD_PARTY_SPAM: Final = frozenset({"spammers", "spammer", "spam"})


# A wish right before "keep getting these" ("I want to keep getting these"): not a complaint.
_WISH: Final = re.compile(
    r"\b(?:want|wanna|like|love|wish|hope|prefer|happy|glad|would\s+like|d\s+like)\s+(?:to\s+)?$")


def _wishes_to_keep(before: str) -> bool:
    """Whether `before` ends in a wish not negated ("I'd love to", not "I don't want to")."""
    wish = _WISH.search(before)
    return wish is not None and not any(
        w in _NEGATORS for w in before[:wish.start()].split()[-3:])


def _asks_to_keep(words: list[str], rest: str, question: bool) -> bool:
    """"Can I still get the coupon?", "will I still receive my points if I opt out?": a question
    whether something other than messages goes on, not a complaint that they do."""
    if not question or "why" in words:
        return False
    if _EN_IF.search(" ".join(words)) is not None:
        return True  # "if I unsubscribe from emails, will I still get these texts?"
    asks = len(words) > 1 and words[0] in _ASKING_KEEP and words[1] in ("i", "we")
    return asks and not any(w in _MESSAGE_WORDS for w in rest.split()[:4])


def _unslipped(words: list[str]) -> tuple[list[str], frozenset[int]]:
    """The words with slips of keywords corrected ("opt ot" is optout), and where the
    corrected words that count only among politeness are."""
    out: list[str] = []
    weak: set[int] = set()
    for word in words:
        if out and out[-1] == "opt" and _SLIP.get(f"opt{word}") == "optout" and word != "our":
            out[-1] = "optout"
            continue
        if word in _WEAK_SLIP:
            weak.add(len(out))
        out.append(_SLIP.get(word, word))
    return out, frozenset(weak)


def _among_filler(words: list[str], i: int) -> bool:
    """Nothing but politeness, emotion, a reason or messages around the keyword at i."""
    return all(w in _LEAD for w in words[:i]) and all(
        w in _TRAIL or _ZEROS.fullmatch(w) for w in words[i + 1:])


def _repeated_code(word: str) -> bool:
    """tdtd, stopstop, rr: a keyword typed more than once."""
    for code in ("td", "stop", "t", "r", "n"):
        if len(word) > len(code) and word == code * (len(word) // len(code)):
            return True
    return False


def _english_keyword(words: list[str], i: int, question: bool) -> str | None:
    word = words[i]
    if _negated(words, i) or _asks_about_en(words, question):
        return None
    rest = words[i + 1:]
    if word == "stop" or (word.startswith("stop") and _repeated_code(word)):
        if i > 0 and words[i - 1] in _NOUN_BEFORE_STOP:
            return None
        if rest and (rest[0] in _OTHER_STOP or _commerce(rest)):
            return None
        billed = [w for w in rest[:4] if w not in _DETERMINERS][:2]
        if any(w in _BILLING for w in billed) and not any(w in _MESSAGE_WORDS for w in rest):
            return None  # "stop charging my card" (but "stop charging me for texts" refuses)
        return "stop all" if rest and rest[0] == "all" else "stop"
    if word in _ARRET and rest[:1] in (["de"], ["du"], ["d"], ["des"]) and not any(
            w in _MESSAGE_WORDS or w in _FR_MESSAGES for w in rest):
        return None  # "arrêt de bus", "arrêt de travail": a noun, not "arrêt des SMS"
    if word in _STRONG:
        return f"{word} all" if rest and rest[0] == "all" else word
    # Weak keywords and letter codes: a command only among politeness, emotion and reasons, or
    # first and urged, about nothing bought ("QUIT pls my phone is buzzing all day").
    if _among_filler(words, i):
        return word
    if len(word) > 2 and not question and rest and rest[0] in _URGING \
            and all(w in _LEAD for w in words[:i]) \
            and not any(w in _PURCHASE_WORDS for w in rest):
        return word
    return None


def _commerce(rest: list[str]) -> bool:
    return any(w in _COMMERCE_WORDS for w in rest) and not any(
        w in _OBJECT_WORDS and w not in ("my", "your", "the", "to", "of", "for", "from", "on",
                                         "with", "it", "this", "that", "any", "number")
        for w in rest)


def _about_a_purchase(rest: list[str]) -> bool:
    """Words after a complaint that make it one about a purchase or a service, not messages."""
    return any(w in _PURCHASE_WORDS for w in rest) and not any(w in _MESSAGE_WORDS for w in rest)


def _negated(words: list[str], i: int) -> bool:
    """A negator among the three words before position i ("don't stop", "do not
    unsubscribe me"), or further with only the saying of it between ("I'm not going to reply
    STOP"), unless the clause is a why-complaint ("why won't you stop")."""
    before = " ".join(words[max(0, i - 6):i])
    if _WHO_SAID.search(before) is not None or _NO_INTENTION.search(before) is not None:
        return True  # "who said I wanted to unsubscribe?", "no intention of opting out"
    window = words[max(0, i - 3):i]
    j = i
    while j > 0 and i - j < 6 and words[j - 1] in _SAYING:
        j -= 1
    if any(w in _NEGATORS for w in window) or (j < i and j > 0 and words[j - 1] in _NEGATORS):
        return "why" not in words[:i]
    return "no need" in " ".join(window)


def _asks_about_en(words: list[str], question: bool) -> bool:
    """"does STOP cost anything", "what is td?": a question about the keyword; not "how do
    I stop these", "is there a way to opt out", "what do I text to stop these" nor "can I
    unsubscribe?"."""
    starts_as_question = words[0] in _QUESTION_START and not (
        words[0] == "do" and len(words) > 1 and words[1] not in _DO_ASKS)
    if not (question or starts_as_question):
        return False
    joined = " ".join(words)
    if _EN_HOW.search(joined) is not None:
        return False
    if _EN_HOW_MUCH.search(joined) is not None:
        return True
    if words[0] == "will" and words[1:2] in (["i"], ["we"]) and any(
            w in _WILL_I_ABOUT for w in words[2:]):
        return True
    if "how" in words:
        at = words.index("how")
        after = words[at + 1:at + 3]
        if after and (after[0] == "to" or (len(after) > 1 and after[1] in ("i", "we"))):
            return False
    if question and _EN_IF.search(joined) is not None:
        return True  # "will I still get updates if I opt out?"
    if question and words[0] in _ASKING and (
            any(w in _LATER for w in words[2:])
            or (words[1:2] == ["my"] and words[2:3] and words[2] in _OTHERS)):
        return True  # "can I unsubscribe later if I sign up now?", "can my wife unsubscribe?"
    if words[0] in _ASKING and len(words) > 1 and words[1] in _YOU_OR_I:
        return False
    if words[0] in ("what", "who") and words[1:2] in (["do"], ["should"], ["can"]) \
            and words[2:3] in (["i"], ["we"]):  # what do I reply to stop these, who do I ask
        return False
    return starts_as_question or any(w in _ABOUT_WORDS for w in words)


# --- resubscribe and help ------------------------------------------------------------------


def _standing_alone(text: str) -> tuple[ReplyIntent, str | None]:
    """RESUBSCRIBE when every clause is one or politeness; HELP when a clause asks for it."""
    resubscribe: str | None = None
    others = False
    for clause in _SEP.split(text):
        spaced = _spaced(clause)
        compact = spaced.replace(" ", "")
        if not compact:
            continue
        words = spaced.split()
        help_word = _help(words, compact)
        if help_word is not None:
            return ReplyIntent.HELP, help_word
        resub = _resubscribe(words, compact)
        if resub is not None:
            resubscribe = resubscribe or resub
        elif _POLITE.match(compact) is None:
            others = True
    if resubscribe is not None and not others:
        return ReplyIntent.RESUBSCRIBE, resubscribe
    return ReplyIntent.NONE, None


def _again(text: str) -> str | None:
    """RESUBSCRIBE after an earlier unsubscribe (rule 5): a request to subscribe again that is
    not negated, in a reply whose every refusal is an earlier one it recounts or undoes. Each
    clause is read without them; a clause that still refuses wins, fail safe."""
    if _ZH_AGAIN.search(text) is None and _EN_AGAIN.search(text) is None:
        return None  # (an ask split by punctuation is no ask: unsubscribe stands)
    asked: str | None = None
    earlier = False
    read: set[str] = set()
    for clause in _SEP.split(text):
        spaced = _spaced(clause)
        if not spaced or spaced in read:
            continue
        read.add(spaced)
        if _CJK.search(spaced) is not None:
            rest, ask, recounted = _without_history_zh(_NOT_WORD.sub("", spaced))
        else:
            rest, ask, recounted = _without_history_en(spaced)
        if _WORD.search(rest) is not None and _clause_refusal(rest, False) is not None:
            return None
        asked = asked or ask
        earlier = earlier or recounted
    return asked if earlier else None


def _without_history_zh(compact: str) -> tuple[str, str | None, bool]:
    """The clause without its requests to subscribe again and the earlier refusals it recounts;
    the first request (not negated); whether it recounts or undoes one."""
    return _without_history(compact, _ZH_AGAIN, _ZH_EARLIER, _zh_negated_before)


def _without_history_en(spaced: str) -> tuple[str, str | None, bool]:
    """As `_without_history_zh`, for English words."""
    return _without_history(spaced, _EN_AGAIN, _EN_EARLIER, _en_negated_before)


def _zh_negated_before(text: str, start: int) -> bool:
    return _ZH_NEGATED.search(text[max(0, start - 8):start]) is not None


def _en_negated_before(text: str, start: int) -> bool:
    before = text[:start].split()
    return _negated(before, len(before)) or "why" in before  # "why did this start again"


def _without_history(text: str, again: re.Pattern[str], recounted: re.Pattern[str],
                     negated_before: Callable[[str, int], bool]
                     ) -> tuple[str, str | None, bool]:
    ask: str | None = None
    earlier = False
    kept: list[str] = []
    pos = 0
    for match in again.finditer(text):
        if negated_before(text, match.start()):
            continue
        ask = ask or match.group()
        earlier = earlier or match.group("undo") is not None
        kept.append(text[pos:match.start()])
        pos = match.end()
    kept.append(text[pos:])
    rest = " ".join(kept)
    if recounted.search(rest) is not None:
        earlier = True
        rest = recounted.sub(" ", rest)
    return rest, ask, earlier


def _resubscribe(words: list[str], compact: str) -> str | None:
    if _CJK.search(compact) is not None:
        match = _ZH_RESUB.match(compact)
        return match.group() if match is not None else None
    phrase = _EN_RESUB.fullmatch(" ".join(words))
    if phrase is not None:
        return phrase.group("ask")[:KEYWORD_CHARS]
    for i, word in enumerate(words):
        if word in _RESUB_WORDS or (word == "opt" and words[i + 1:i + 2] == ["in"]):
            if all(w in _POLITE_WORDS or w == "i" for w in words[:i]) and all(
                    w in _POLITE_WORDS or w in ("in", "to", "the", "texts", "messages", "me",
                                                "back", "up") for w in words[i + 1:]):
                return "opt in" if word == "opt" else word
            return None
    return None


def _help(words: list[str], compact: str) -> str | None:
    if _CJK.search(compact) is not None:
        match = _ZH_HELP.match(compact)
        return match.group() if match is not None else None
    if words and words[0] in _HELP_WORDS and all(
            w in ("me", "please", "pls", "plz", "thanks", "thank", "you") for w in words[1:]):
        return words[0]
    return None
