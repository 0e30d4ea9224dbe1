"""Refusals in the other languages senders' users reply in: Spanish (US users), French,
Vietnamese, Tagalog, Malay, Korean, and Mandarin typed in pinyin.

app/rules/replies.py reads a clause with no Chinese character as English words; a clause that
no English rule refuses comes here. The same principle holds (FAIL SAFE: a refusal is read by
meaning, in any of its usual wordings): a keyword with only politeness around it (ALTO, BAJA,
"alto, no me interesa"), a request to stop sending (no me manden más, deja de enviarme, dénme
de baja, cancelar suscripción, ne m'envoyez plus, đừng gửi tin nhắn, huwag na mag-text, 보내지
마세요, bu yao zai fa le), to be off the list (sácame de tu lista, borren mi número), a
question how to stop (¿cómo dejo de recibir...?), a complaint, an earlier refusal ignored or
the wrong person (ya les dije, siguen mandando, número equivocado, nunca me suscribí). Not a
refusal: one negated (no quiero cancelar, no me den de baja), a question about what refusing
does (si cancelo los mensajes, ¿pierdo mis puntos?; ¿qué significa ALTO?), an order or a
booking (cancelar mi cita, dar de baja mi línea).

Input is the clause's words as replies.py spaces them: case folded, accents stripped (número →
numero, đ → d), apostrophes dropped (m'envoyer → menvoyer), one space between words.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


def _split(text: str) -> list[str]:
    return text.split()


# Word beginnings, whole short words, and Hangul syllables a clause must hold to be read here:
# the trigger scan of replies.py skips clauses without any (short words whole, so "not", "just"
# and "but" trigger nothing).
LATIN_TRIGGERS: Final = _split(
    # Spanish
    "basta dej deten cese cesen cancel anul desuscri desinscri desafili mand envi escrib "
    "contact llam molest mensaj msj sac quit borr elimin remov numero recib harto harta "
    "cansad denunci report demand profeco abogad queja acos equivoca suscri inscri "
    "cuantas termin acab autori "
    # French
    "arret cess desabonn envoy laiss fout fich retir suppr effac enlev "
    # Vietnamese, Tagalog
    "ngung itigil tigil huwag tanggal burah alis ayoko "
    # Malay
    "berhenti henti jangan hantar kirim buang padam keluarkan berminat macam hapus "
    # German
    "losch entfern streich keine abmeld abbestell austrag horen hort hor nicht "
    # Mandarin in pinyin
    "buyao biefa tousu jubao lahei saorao")
LATIN_WORD_TRIGGERS: Final = _split(
    "alto baja para parar dame denme deme darme dar doy nunca jamas como manera forma paz sair "
    "quien donde sigan sigo sigue todavia ya no lista ne plus dung khong huy tu xoa "
    "wag hwag tama bu bie qing fiao tou ju la ting sao")
HANGUL_TRIGGERS: Final = "거그보연문광탈구스신번차취수삭지"
# Thai is written without spaces between words: its triggers are found anywhere.
THAI_TRIGGERS: Final = ["ยกเลิก", "หยุด", "ข้อความ", "ไม่ต้อง", "ไม่อยาก", "อย่าส่ง"]

# --- Spanish ---------------------------------------------------------------------------------
_ES_MSGS: Final = (
    r"(?:mensajes?|msjs?|mjs|sms|textos?|promociones|promos?|publicidad|anuncios|ofertas"
    r"|notificaciones|correos|llamadas|spam|alertas|avisos)")
# A keyword alone, with only politeness, a reason or messages around it: ALTO, BAJA por favor,
# "alto, no me interesa" (the comma splits clauses; "alto no me interesa" is one).
_ES_KEYWORDS: Final = _words(
    "alto baja parar para detener cancelar basta desuscribir desuscribirme desuscribanme "
    "stop sair")  # (SAIR: Portuguese, the Brazilian carriers' opt-out word)
_ES_LEAD: Final = _words(
    "por favor porfa porfavor favor hola buenas buenos ok okay ya si senor senora senorita "
    "amigo oiga oigan disculpe please pls ahora")
_ES_TRAIL: Final = _words(
    "por favor porfa porfavor favor gracias muchas ya no me nos interesa interesan ahora mismo "
    "inmediatamente ok okay ya senor senora amigo los las estos estas esto mensajes mensaje sms "
    "textos msj msjs todo todos todas de la lista mas ya basta promociones publicidad spam "
    "please pls thanks thank you stop")
# Positive requests: negated by a "no" before them (no quiero cancelar mi suscripcion).
_ES_ASK: Final = re.compile("|".join([
    # stop sending: deja de enviarme, dejen de mandar mensajes, paren de escribirme
    r"\b(?:deja|dejen|deje|dejes|dejar|dejaran|dejen\s+ya|para|paren|pare|parar|detengan|detenga"
    r"|detener|cesen|cese|terminen|termina|acaben|acaba)\s+(?:ya\s+|por\s+favor\s+)?de\s+"
    r"(?:enviar|mandar|escribir|molestar|contactar|llamar|textear|spamear|fastidiar|joder"
    r"|chingar|acosar)\w*",
    # off the list, the number deleted: sacame de tu lista, borren mi numero
    r"\b(?:saca|sacame|saquen|saquenme|saque|saqueme|sacar|sacarme|quita|quitame|quiten|quitenme"
    r"|quite|quiteme|quitar|quitarme|borra|borrame|borren|borrenme|borre|borreme|borrar|borrarme"
    r"|elimina|eliminame|eliminen|eliminenme|elimine|elimineme|eliminar|eliminarme|remueve"
    r"|remuevan|remover|removerme|excluyan|excluyanme|excluir|excluirme)\s+(?:\w+\s+){0,2}?"
    r"(?:de\s+(?:\w+\s+){0,2}?(?:lista|listas|listado|base|registro|sistema|contactos|envios"
    r"|difusion|suscriptores|clientes)|(?:mi|este|el|mis|su|de)\s+(?:\w+\s+)?(?:numero|telefono"
    r"|celular|cel|movil|contacto|datos|correo|informacion))\b",
    r"\b(?:sacame|saquenme|saqueme|quitame|quitenme|quiteme|borrame|borrenme|borreme|eliminame"
    r"|eliminenme|elimineme|excluyanme)(?:\s+(?:por\s+favor|porfa|porfavor|favor|gracias|ya"
    r"|ahora|please|pls|de\s+aqui|de\s+esto))*\s*$",
    # unsubscribed in words: denme de baja, me doy de baja, cancelar suscripcion, desuscribirme
    r"\b(?:dar|darme|darnos|dame|denme|deme|den|doy|damos|dieran|des|dan)\s+de\s+baja\b"
    r"|\bme\s+(?:doy|quiero\s+dar|puedo\s+dar|pueden\s+dar)\s+de\s+baja\b"
    r"|\b(?:quiero|deseo|solicito|pido)\s+(?:la\s+|mi\s+|darme\s+de\s+)?baja\b",
    r"\b(?:cancelar|cancela|cancelen|cancele|cancelo|anular|anula|anulen|anule|terminar|termina"
    r"|terminen|quitar|quiten)\s+(?:mi\s+|la\s+|esta\s+|su\s+|tu\s+|el\s+|los\s+|las\s+|estos\s+"
    r"|sus\s+|tus\s+|mis\s+)?(?:suscripcion|subscripcion|inscripcion|suscripciones|servicio\s+de\s+"
    r"(?:mensajes|sms|textos)|" + _ES_MSGS[3:-1] + r")\b",
    r"\bdes(?:suscrib|uscrib|inscrib|afili|abon)\w*",
    # not wanted: no quiero recibir mas mensajes, ya no deseo estos mensajes
    r"\bno\s+(?:quiero|queremos|deseo|deseamos|necesito|necesitamos)\s+(?:seguir\s+)?"
    r"(?:recib\w*|(?:\w+\s+){0,3}?(?:" + _ES_MSGS[3:-1] + r"|esto|estos|estas|nada\s+(?:de\s+)?"
    r"(?:ustedes|esto|su\s+empresa)))\b"
    r"|\bno\s+me\s+interesa[n]?\s+(?:\w+\s+){0,3}?" + _ES_MSGS + r"\b",
    # how to stop: como dejo de recibir estos mensajes, como me doy de baja
    r"\b(?:como|manera|forma|modo|hay\s+(?:alguna\s+)?(?:forma|manera))\s+(?:\w+\s+){0,4}?"
    r"(?:dej\w*\s+de\s+recib\w*|no\s+recib\w*|ya\s+no\s+recib\w*|(?:me\s+)?(?:doy|dar|darme"
    r"|damos|des)\s+de\s+baja|desuscrib\w*|cancel\w*\s+(?:\w+\s+)?(?:suscripcion|" + _ES_MSGS[3:-1]
    + r"|esto|estos)|(?:paro|parar|detengo|detener|bloqueo|bloquear|quito|quitar|elimino|eliminar"
    r"|freno|frenar|evito|evitar)\s+(?:\w+\s+)?(?:" + _ES_MSGS[3:-1] + r"|esto|estos|estas|esta))\b"
    r"|\bcomo\s+(?:\w+\s+){0,3}?para\s+que\s+(?:no|dejen|paren|ya\s+no)\b"
    r"|\bque\s+(?:\w+\s+){0,3}?(?:enviar|mandar|responder|escribir|contestar|envio|mando|respondo"
    r"|escribo|contesto)\s+para\s+(?:no|dejar|que\s+(?:no|dejen)|darme|ya\s+no)\b",
]))
# Refusals that carry their own negation, and complaints: never negated further.
_ES_REFUSE: Final = re.compile("|".join([
    # no me manden mas, ya no me envien mensajes, no me escriban, no nos llamen
    r"\b(?:no|nunca|jamas)\s+(?:me\s+|nos\s+|le\s+|les\s+)?(?:(?:vuelvan|vuelvas|vuelva)\s+a\s+"
    r"(?:mand|envi|escrib|contact|llam|molest|text)\w*|(?:sigan|sigas|siga)\s+(?:mandando|enviando"
    r"|escribiendo|contactando|llamando|molestando)|(?:mand|envi|contact|llam|molest|texte|spame)"
    r"(?:en|es|e|aran|aras|ara|asen|ara)|escrib(?:an|as|a|ieran|ieras|iera|iesen))\b",
    r"\bno\s+(?:quiero|queremos|deseo)\s+que\s+(?:me\s+|nos\s+)?(?:sigan\s+|vuelvan\s+a\s+)?"
    r"(?:mand|envi|escrib|contact|llam|molest)\w*",
    r"\b(?:ya\s+)?basta\s+(?:ya\s+)?(?:de|con)\s+(?:\w+\s+){0,2}?(?:" + _ES_MSGS[3:-1]
    + r"|esto|tanto|lo\s+mismo)\b",
    # no mas mensajes (or texts, in Spanglish); no mas (alone)
    r"\bno\s+mas\s+(?:\w+\s+)?(?:" + _ES_MSGS[3:-1] + r"|texts?|txts?|msgs?|messages?)\b"
    r"|\bno\s+mas(?:\s+(?:por\s+favor|porfa|porfavor|favor|gracias|ya|please|pls|por\s+dios))*\s*$",
    # an earlier refusal ignored: ya les dije, siguen mandando, ya me di de baja, envie ALTO
    r"\bya\s+(?:les|le|te|se\s+los|se\s+lo)\s+(?:dije|pedi|escribi|mande|envie|respondi|conteste"
    r"|habia\s+dicho|habia\s+pedido)\b|\bcuantas\s+veces\b"
    r"|\bya\s+(?:me\s+)?(?:di|habia\s+dado|dieron)\s+de\s+baja\b"
    r"|\b(?:siguen|sigues|sigue|continuan|continua)\s+(?:mandando|enviando|escribiendo|molestando"
    r"|llamando|con\s+(?:los|sus|estos)\s+mensajes)\b|\b(?:sigo|seguimos)\s+recibiendo\b"
    r"|\btodavia\s+(?:me\s+)?(?:llegan|recibo|mandan|envian|escriben)\b"
    r"|\b(?:envie|mande|respondi|conteste|escribi|puse|dije)\s+(?:que\s+)?(?:\w+\s+)?(?:alto|stop"
    r"|baja|parar|basta)\b",
    # annoyance, reports, the law
    r"\b(?:acoso|acosan|acosando)\b|\bme\s+(?:molestan|tienen\s+hart[oa]s?)\b"
    r"|\b(?:harto|harta|hartos|hartas|cansado|cansada|cansados)\s+de\s+(?:\w+\s+){0,2}?(?:"
    + _ES_MSGS[3:-1] + r"|ustedes|esto|recibir|sus|tus)\b"
    r"|\b(?:denunci|report|demand)ar(?:los|las|les|te|lo)\b"
    r"|\b(?:los|las|les|lo)\s+(?:voy\s+a\s+|vamos\s+a\s+)?(?:denunci|report|demand)\w*"
    r"|\b(?:profeco|abogado|ilegal)\b|\bdej(?:en|a|e|enme|ame|eme)\s+(?:\w+\s+)?en\s+paz\b"
    r"|\bno\s+(?:me\s+)?molest(?:en|es|e|ar)\b|\bque\s+(?:molestos?|fastidio|lata)\b",
    # the wrong person, a number changed hands, never subscribed
    r"\b(?:numero|telefono|celular)\s+(?:equivocado|incorrecto|errado|erroneo)\b"
    r"|\bse\s+equivoca\w*\s+de\s+(?:numero|persona)\b"
    r"|\b(?:ya\s+)?no\s+es\s+(?:mi\s+numero|el\s+numero\s+de)\b"
    r"|\beste\s+(?:numero|telefono|celular)\s+(?:ya\s+)?no\s+es\s+de\b|\bnuevo\s+dueno\b"
    r"|\b(?:nunca|jamas|yo\s+no|no)\s+(?:me\s+)?(?:suscribi|inscribi|registre|apunte|autorice"
    r"|pedi\s+(?:esto|estos|sus|nada)|di\s+(?:mi\s+)?(?:permiso|consentimiento|autorizacion))\b"
    r"|\bquien\s+(?:les|te|le)\s+dio\s+mi\b"
    r"|\bde\s+donde\s+(?:sacaron|sacan|obtuvieron|tienen|consiguieron)\s+mi\b",
]))
# A request negated: "no" right before it, or with only helpers between (no quiero cancelar, no
# me den de baja, no vayan a darme de baja).
_ES_NEGATED: Final = re.compile(
    r"\b(?:no|nunca|jamas|tampoco)\s+(?:(?:quiero|queremos|deseo|vayan\s+a|van\s+a|vas\s+a|me|nos"
    r"|les|le|se|lo|la|pueden|puedes|puede|es\s+necesario|hace\s+falta|hay\s+que"
    r"|tengo\s+(?:la\s+)?intencion\s+de|pienso|planeo|voy\s+a)\s+){0,3}$"
    r"|\bpas\s+(?:(?:me|nous|vous|de|d)\s+)?$")  # (je ne veux pas me desabonner)
# A question about what refusing does or means: no refusal.
# A supposition, "si" and a verb in the first person (si cancelo los mensajes, ...; "si, cancelen"
# is a yes): no request, asked or not.
_ES_IF: Final = re.compile(
    r"\bsi\s+(?:me\s+|yo\s+|les\s+|los\s+|ya\s+)?(?:\w+\s+)?(?:cancelo|doy|envio|mando|respondo"
    r"|contesto|desuscribo|pongo|escribo|cancelamos|damos|quito|borro)\b")
_ES_ABOUT: Final = re.compile(
    r"\bque\s+(?:significa|quiere\s+decir|pasa\s+si|pasa\s+cuando)\b"
    r"|\b(?:cuesta|cobran|cobra|costo|pierdo|perdere|perderia|afecta|sigo\s+recibiendo\s+mis"
    r"|todavia\s+(?:puedo|recibo\s+mis))\b")
_ES_COMMERCE: Final = re.compile(
    r"\b(?:pedido|pedidos|orden|ordenes|cita|citas|reserva|reservacion|reservaciones|vuelo|boleto"
    r"|boletos|compra|paquete|envio|factura|pago|producto|cuenta|linea|plan|tarjeta|codigo|mesa"
    r"|hotel|habitacion|entrega|suscripcion\s+de\s+(?:la\s+)?(?:revista|caja|gimnasio))\b")
_ES_MESSAGES: Final = re.compile(_ES_MSGS + r"\b|\blista\b|\bnumero\b")

# --- French, Vietnamese, Tagalog, Korean, pinyin -----------------------------------------------
_OTHER: Final = re.compile("|".join([
    # French: arretez de m'envoyer, ne m'envoyez plus, plus de messages, desabonnez-moi,
    # retirez mon numero, laissez-moi tranquille
    r"\b(?:arretez|arrete|arreter|cessez|cesse|cesser)\s+d(?:e\s+)?(?:m|me\s+|nous\s+)?"
    r"(?:envoy|ecri|contact|appel|harcel|derang|spamm)\w*",
    r"\bn(?:e\s+)?(?:m\s*|me\s+|nous\s+)?(?:envoyez|envoie|envoyer|ecrivez|contactez|appelez"
    r"|derangez)\s+plus\b"
    # ...or asked as a kindness: merci de ne plus m'ecrire, priere de ne plus nous contacter
    r"|\bne\s+plus\s+(?:m\s*|me\s+|nous\s+)?(?:envoy|ecri|contact|appel|derang|spamm|relanc)\w*",
    r"\bne\s+(?:veux|voulons|souhaite|souhaitons|desire)\s+plus\s+(?:recevoir|de|d|vos|ces|les"
    r"|aucun|rien|etre)\b|\bplus\s+d(?:e\s+)?(?:messages|sms|textos|pubs?|publicites|promos|spam)\b",
    r"\b(?:retirez|supprimez|effacez|enlevez|retire|supprime|efface|enleve)\s*(?:moi|mon\s+numero"
    r"|mes\s+coordonnees|mon\s+nom|mon\s+contact)\b"
    r"|\blaissez\s*moi\s+tranquille|\b(?:foutez|fichez)\s*(?:moi|nous)\s+la\s+paix",
    # Vietnamese: dung gui tin nhan, ngung nhan tin, khong muon nhan, huy dang ky, xoa so
    r"\b(?:dung|ngung|thoi)\s+(?:\w+\s+){0,2}?(?:gui\s+(?:tin|sms|quang|cho\s+toi|nua)|nhan\s+tin"
    r"|lam\s+phien|lien\s+lac|spam)\b",
    r"\bkhong\s+(?:muon|can|thich)\s+(?:\w+\s+){0,2}?(?:nhan\s+(?:tin|them|nua|sms|quang)|tin\s+nhan"
    r"|quang\s+cao|sms)\b|\bhuy\s+(?:dang\s+ky|nhan\s+tin|tin\s+nhan|dich\s+vu\s+tin)\b"
    r"|\btu\s+choi\s+(?:nhan|tin\s+nhan|quang\s+cao)\b|\bxoa\s+(?:so|ten)\s+(?:\w+\s+){0,2}?toi\b",
    # Tagalog: itigil, huwag na kayong mag-text, ayoko na ng text, tanggalin ang number ko
    r"\b(?:itigil|tigilan|tigil)\b"
    r"|\b(?:huwag|wag|hwag)\s+(?:na\s+|nyo\s+|mo\s+|po\s+|kayong\s+|akong\s+|ako\s+|niyo\s+)*"
    r"(?:i?text|mag\s*text|magtext|padalhan|magpadala|i?message|mag\s*message|tawagan|istorbohin"
    r"|abalahin|kontakin|i?spam)\w*"
    r"|\bayoko\s+(?:na\s+)?(?:ng\s+|sa\s+)?(?:mga\s+)?(?:text|mensahe|message|promo|sms)"
    r"|\b(?:alisin|tanggalin|burahin|alisan)\s+(?:\w+\s+){0,3}?(?:number|numero|pangalan)\s+ko\b"
    r"|\btama\s+na(?:\s+(?:po|please|pls|na|ang|sa|mga|text|texts|kayo|ha))*\s*$",
    # Korean: 수신거부, 그만 보내세요, 보내지 마세요, 문자 사절, 구독 취소, 번호 삭제, 스팸 신고,
    # 신고합니다
    "수신\\s*(?:거부|차단|중지|거절)|(?<!\\w)거부(?!\\s*감)|그만\\s*(?:보내|좀|하|해|받|연락|문자)"
    "|그만(?:요|해요|하세요|해|해라)?\\s*$|보내지\\s*(?:마|말)|연락\\s*(?:하지|주지)\\s*(?:마|말)"
    "|(?:문자|광고)\\s*(?:그만|사절|거부|차단|보내지)|탈퇴|구독\\s*(?:취소|해지|해제|끊)|스팸|차단"
    "|번호\\s*(?:삭제|지워)|^취소(?:요|해|해요|해\\s*주세요|합니다|하세요)?\\s*$"
    # a report threatened (신고합니다, 신고할게요), not a lost card reported (분실 신고)
    "|(?<!분실)(?<!도난)(?<!분실\\s)(?<!도난\\s)신고\\s*(?:합니다|할게요|할께요|하겠습니다|할\\s*거예요|할거에요|해요|한다|함)",
    # German: löschen Sie meine Nummer, keine SMS mehr, abmelden, nicht mehr schreiben
    r"\b(?:loschen|losche|loscht|entfernen|entfernt|streichen)\s+(?:sie\s+)?(?:bitte\s+)?(?:meine\s+"
    r"(?:nummer|daten|telefonnummer|handynummer|kontaktdaten)|mich)\b"
    r"|\bmeine\s+(?:nummer|daten|telefonnummer|handynummer)\s+(?:\w+\s+){0,4}?(?:loschen|entfernen"
    r"|streichen)\b"
    r"|\bkeine\s+(?:sms|nachrichten|werbung|mitteilungen|angebote|werbe\s*sms)\s+mehr\b"
    r"|\b(?:abmelden|abbestellen|austragen)\b"
    r"|\bnicht\s+mehr\s+(?:\w+\s+)?(?:schreiben|senden|kontaktieren|anschreiben|belastigen|zusenden)\b"
    r"|\b(?:horen|hort)\s+sie\s+auf\b|\bhor\s+auf\b",
    # Malay: berhenti, jangan hantar mesej lagi, tidak berminat, buang nombor saya
    r"^\s*(?:tolong\s+|sila\s+)?(?:berhenti|henti)\b(?!\s+(?:kat|di|dekat|depan|sebelah|pada|sini|situ"
    r"|sana|stesen|hentian|bas|mana|kedai|simpang|lampu)\b)"
    r"|\b(?:berhenti|henti)\s+(?:\w+\s+){0,1}?(?:hantar|kirim|menghantar|mengirim|hubungi|ganggu"
    r"|spam|mesej|sms|terima|menerima)\w*"
    r"|\bjangan\s+(?:(?!berhenti\b|henti\b)\w+\s+){0,2}?(?:hantar|kirim|mesej|sms|hubungi|ganggu"
    r"|spam)\w*"
    r"|\b(?:tak|tidak|x)\s+(?:mahu|mau|nak|ingin)\s+(?:\w+\s+){0,2}?(?:terima|dapat)\b"
    r"|\b(?:tak|tidak)\s+berminat\b"
    r"|\b(?:buang|padam|keluarkan|hapus|hapuskan|hapuslah)\s+(?:\w+\s+){0,2}?(?:nombor|nomor)\s+saya\b"
    r"|\bmacam\s+mana\s+(?:nak|untuk)\s+(?:berhenti|stop|henti)\b",
    # Mandarin in pinyin: bu yao zai fa le, bie fa le hao ma, bu xiang shou dao, tou su
    r"\b(?:bu\s*yao|buyao|bie|qing\s*bie|qing\s*bu\s*yao|fiao)\s*(?:zai\s*)?(?:gei\s*wo\s*)?"
    r"(?:fa|da\s*rao|sao\s*rao|tui\s*song|chuan|lian\s*xi)(?!ng|n\b|n\s|piao|huo|kuai|bao|xian)"
    r"|\bbu\s*xiang\s*(?:zai\s*)?(?:shou|jie\s*shou|kan)(?:\s*dao)?\b"
    r"|\b(?:tou\s*su|ju\s*bao|la\s*hei|sao\s*rao|fan\s*si\s*le)\b|\bting\s*(?:zhi\s*)?(?:fa|tui)\b",
]))
_OTHER_NEGATED: Final = re.compile(
    r"\b(?:ne\s+(?:\w+\s+){0,2}?pas|pas|khong|hindi|huwag|wag|jangan|tak|tidak|bukan|nicht|kein)\s*$")
_OTHER_ABOUT: Final = re.compile(r"\bsi\s+je\b|하면|되면|\bneu\b|\bkung\b"
                                r"|\bco\s+(?:\w+\s+){0,3}?khong\b|\bmat\s+phi\b")


# A clause with none of the trigger words (an English one) is not read further: one scan in C.
_GATE: Final = re.compile(
    r"\b(?:" + "|".join(LATIN_TRIGGERS) + r"|(?:" + "|".join(LATIN_WORD_TRIGGERS) + r")\b)"
    r"|[\uac00-\ud7af\u0e00-\u0e7f]")


def _unmarked(text: str) -> str:
    """Thai without its vowel and tone marks, which the clause's spacing turned into spaces."""
    return "".join(c for c in text if unicodedata.category(c) != "Mn")


def _thai_letters(text: str) -> str:
    """The Thai letters of a clause, run together: Thai has no spaces between words."""
    return "".join(c for c in _unmarked(text) if "\u0e01" <= c <= "\u0e5b")


# Thai: ยกเลิกข้อความ, หยุดส่งข้อความ, ไม่ต้องการรับข้อความ, อย่าส่งมาอีก; read on `_thai_letters`.
_THAI: Final = re.compile("[\u0e00-\u0e7f]")
_THAI_REFUSAL: Final = re.compile(_unmarked(
    "(?:ยกเลิก|หยุด)(?:การ)?(?:ส่ง|รับ)?(?:ข้อความ|เอสเอ็มเอส)|ข้อความ.{0,12}?(?:ยกเลิก|หยุด)"
    "|ไม่(?:ต้องการ|อยาก)(?:รับ)?ข้อความ|(?:ไม่ต้อง|อย่า)ส่ง(?:ข้อความ|มา)"))
_THAI_NEGATED: Final = re.compile(_unmarked("(?:ไม่|อย่า)$"))
_THAI_DENIED: Final = re.compile(_unmarked("(?:ไม่|อย่า)(?:ต้อง)?(?:ยกเลิก|หยุด)"))


def foreign_refusal(joined: str, question: bool) -> str | None:
    """The refusal in a clause written in one of the languages above, if any."""
    if _GATE.search(joined) is None:
        return None
    if _THAI.search(joined) is not None:
        letters = _thai_letters(joined)
        thai = _THAI_REFUSAL.search(letters)
        if thai is not None and _THAI_NEGATED.search(letters, 0, thai.start()) is None:
            return thai.group()
    words = joined.split()
    about = _ES_IF.search(joined) is not None or (question and (
        _ES_ABOUT.search(joined) is not None or _OTHER_ABOUT.search(joined) is not None))
    bought = _ES_COMMERCE.search(joined) is not None and _ES_MESSAGES.search(joined) is None
    found = _ES_REFUSE.search(joined)
    if found is not None and not bought:
        return found.group()
    if about or bought:
        return None
    for ask in _ES_ASK.finditer(joined):
        if _ES_NEGATED.search(joined, 0, ask.start()) is None and not (
                _FR_NE.search(joined, 0, ask.start()) is not None
                and _FR_PAS.match(joined, ask.end()) is not None):
            return ask.group()
    for i, word in enumerate(words):
        if word in _ES_KEYWORDS and all(w in _ES_LEAD for w in words[:i]) \
                and all(w in _ES_TRAIL for w in words[i + 1:]):
            return word
    other = _OTHER.search(joined)
    if other is not None and _OTHER_NEGATED.search(joined, 0, other.start()) is None \
            and _KO_NOT_AFTER.match(joined, other.end()) is None \
            and not (_FR_NE.search(joined, 0, other.start()) is not None
                     and _FR_PAS.match(joined, other.end()) is not None):
        return other.group()
    return None


# French denies around the verb: ne me desabonnez pas.
_FR_NE: Final = re.compile(r"\bne\s+(?:m\s*|me\s+|nous\s+)?$")
_FR_PAS: Final = re.compile(r"\w*\s+pas\b")
# Korean denies after the word: 수신거부 아니에요 ("it's not a refusal"), 거부 안 해요.
_KO_NOT_AFTER: Final = re.compile(
    r"\s*(?:은|는|이|가|을|를|가\s+)?\s*(?:아니|안\s*(?:해|할|함|합)|않)")


# A refusal word denied further off than the rules above look ("no tengo intención de darme de
# baja", "je ne veux pas me désabonner"): app/rules/replies.py's learned reader leaves it.
_DENIED: Final = re.compile(
    r"\b(?:no|nunca|jamas)\s+(?:\w+\s+){0,5}?(?:darme\s+de\s+baja|dar\s+de\s+baja|baja|cancelar"
    r"|desuscribirme|desuscribir|parar|detener)\b"
    r"|\bne\s+(?:\w+\s+){0,2}?pas\s+(?:\w+\s+){0,2}?(?:desabonner|arreter|annuler)\w*"
    # ...the verb between ne and pas (ne me desabonnez pas)
    r"|\bne\s+(?:m\s*|me\s+|nous\s+)?(?:desabonn|desinscri|supprim|retir|arret)\w*\s+pas\b"
    r"|\b(?:jangan|tak|tidak)\s+(?:\w+\s+){0,2}?(?:berhenti|henti|buang|padam)\b"
    r"|(?:거부|차단|탈퇴|취소)\s*(?:은|는|이|가|을|를)?\s*(?:아니|안\s*(?:해|할|함|합)|않)")


def foreign_denied(joined: str) -> bool:
    """Whether a clause denies a refusal in one of the languages above."""
    return _DENIED.search(joined) is not None or (
        _THAI.search(joined) is not None and _THAI_DENIED.search(_thai_letters(joined)) is not None)
