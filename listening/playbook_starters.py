"""Four starter scenarios a brand can add and then make its own: a product recall, a data breach,
an offensive post and an outage. Each has a checklist that follows the order a communications
team works in, and first statements in English, Latvian, Lithuanian and Polish: a short one for
any social channel (it fits X's 280 characters, a link counting 23) and a longer one for the
public updates page. ``{brand}`` and ``{updates_url}`` are filled in when the playbook opens.

The statements say only what is true on the first hour of any such crisis; the details (which
batch, which data, which service) follow in dated updates once they are confirmed.
"""

from __future__ import annotations

from typing import Any

RECALL = {
    "name": "Product recall",
    "severity": "critical",
    "description": "A product is unsafe or may be: a contamination, a wrong label, a defect.",
    "checklist": [
        "Confirm the facts with quality assurance: product, batches, dates, where it was sold",
        "Agree the recall decision and notify the food or product safety authority",
        "Brief customer service with the statement and the refund procedure",
        "Publish the first statement on the channel where it started and on the updates page",
        "Ask retailers and distributors to take the batches off the shelves",
        "Pin the statement and answer questions with the approved wording only",
        "Publish the list of affected batches with photos of the labels",
        "Post an update every two hours until the batches are withdrawn",
        "Confirm the withdrawal is complete and say what changes to prevent a repeat",
    ],
    "social": {
        "en": "As a precaution, {brand} is recalling some of its products. Please don't use "
        "them until you've checked the affected batches: {updates_url} You'll get a full "
        "refund. We're sorry, and we're working with the authorities.",
        "lv": "Piesardzības nolūkos {brand} atsauc daļu savu produktu. Lūdzu, nelietojiet tos, "
        "kamēr neesat pārbaudījuši skartās partijas: {updates_url} Naudu atmaksāsim pilnā "
        "apmērā. Atvainojamies un sadarbojamies ar atbildīgajām iestādēm.",
        "lt": "Atsargumo sumetimais {brand} atšaukia dalį savo produktų. Prašome jų nenaudoti, "
        "kol nepasitikrinote, kurių partijų tai liečia: {updates_url} Grąžinsime visus "
        "pinigus. Atsiprašome ir bendradarbiaujame su atsakingomis institucijomis.",
        "pl": "W ramach środków ostrożności {brand} wycofuje część swoich produktów. Prosimy "
        "ich nie używać, dopóki nie sprawdzisz, których partii to dotyczy: {updates_url} "
        "Zwrócimy pełną kwotę. Przepraszamy i współpracujemy z odpowiednimi służbami.",
    },
    "web": {
        "en": "As a precaution, {brand} is recalling some of its products. Your safety comes "
        "first: if you have bought from us recently, please do not use the product until you "
        "have checked whether your batch is affected. We will list the affected batches on this "
        "page as soon as they are confirmed. You can return an affected product wherever you "
        "bought it, with or without a receipt, for a full refund. We are working with the "
        "safety authorities and will post the next update here within two hours. We are sorry "
        "for the worry this causes.",
        "lv": "Piesardzības nolūkos {brand} atsauc daļu savu produktu. Jūsu drošība ir pirmajā "
        "vietā: ja nesen esat iegādājušies mūsu produktus, lūdzu, nelietojiet tos, kamēr neesat "
        "pārbaudījuši, vai jūsu partija ir skarta. Skarto partiju sarakstu publicēsim šajā lapā, "
        "tiklīdz tas būs apstiprināts. Skarto produktu varat atgriezt jebkurā tirdzniecības "
        "vietā, kur to iegādājāties, arī bez čeka, un saņemt pilnu naudas atmaksu. Sadarbojamies "
        "ar uzraugošajām iestādēm, un nākamo ziņu šeit publicēsim divu stundu laikā. "
        "Atvainojamies par sagādātajām raizēm.",
        "lt": "Atsargumo sumetimais {brand} atšaukia dalį savo produktų. Jūsų saugumas mums "
        "svarbiausias: jei neseniai pirkote mūsų produktų, prašome jų nenaudoti, kol "
        "nepasitikrinote, ar jūsų partija įtraukta į atšaukimą. Atšaukiamų partijų sąrašą "
        "paskelbsime šiame puslapyje, kai tik jis bus patvirtintas. Atšaukiamą produktą galite "
        "grąžinti ten, kur pirkote, net ir be čekio, ir atgausite visus pinigus. "
        "Bendradarbiaujame su priežiūros institucijomis, o kitą pranešimą čia paskelbsime per "
        "dvi valandas. Atsiprašome už sukeltą nerimą.",
        "pl": "W ramach środków ostrożności {brand} wycofuje część swoich produktów. Twoje "
        "bezpieczeństwo jest najważniejsze: jeśli kupiłeś ostatnio nasze produkty, prosimy nie "
        "używać ich, dopóki nie sprawdzisz, czy dotyczy to Twojej partii. Listę wycofanych "
        "partii opublikujemy na tej stronie, gdy tylko zostanie potwierdzona. Wycofany produkt "
        "możesz zwrócić w miejscu zakupu, także bez paragonu, i otrzymać pełny zwrot pieniędzy. "
        "Współpracujemy z odpowiednimi służbami, a kolejną informację opublikujemy tutaj w "
        "ciągu dwóch godzin. Przepraszamy za niepokój.",
    },
}

BREACH = {
    "name": "Data breach",
    "severity": "critical",
    "description": "Someone reached customer or staff data without permission.",
    "checklist": [
        "Contain the breach with IT security: close the access, keep the logs",
        "Establish whose data and which fields were exposed, and since when",
        "Brief the data protection officer and legal counsel",
        "Notify the data protection authority (GDPR: within 72 hours of becoming aware)",
        "Publish the first statement on the channel where it started and on the updates page",
        "Write to the people affected: what happened, what it means, what to do",
        "Brief customer service and set up a dedicated contact address",
        "Publish questions and answers: passwords, payment cards, phishing warnings",
        "Post an update once the investigation confirms the scope",
        "Report what was fixed and what changes to prevent a repeat",
    ],
    "social": {
        "en": "We have found unauthorised access to some {brand} customer data. We've stopped it, "
        "informed the data protection authority and are contacting the people affected. What "
        "we know and what you can do: {updates_url}",
        "lv": "Esam konstatējuši nesankcionētu piekļuvi daļai {brand} klientu datu. Piekļuve ir "
        "pārtraukta, esam informējuši Datu valsts inspekciju un sazināmies ar skartajiem "
        "klientiem. Ko zinām un ko varat darīt: {updates_url}",
        "lt": "Nustatėme neteisėtą prieigą prie dalies {brand} klientų duomenų. Prieiga "
        "sustabdyta, informavome Valstybinę duomenų apsaugos inspekciją ir susisiekiame su "
        "paveiktais klientais. Ką žinome ir ką galite daryti: {updates_url}",
        "pl": "Wykryliśmy nieuprawniony dostęp do części danych klientów {brand}. Zablokowaliśmy "
        "go, powiadomiliśmy Prezesa UODO i kontaktujemy się z osobami, których to dotyczy. Co "
        "wiemy i co możesz zrobić: {updates_url}",
    },
    "web": {
        "en": "We have found that someone gained unauthorised access to some {brand} customer "
        "data. We have closed that access, informed the data protection authority and are "
        "working with security specialists to establish exactly what was affected. If your data "
        "was involved, we will contact you directly; we will never ask for your password or "
        "card details by e-mail, text or phone, so please treat any such message as fraud. As a "
        "precaution, change your {brand} password and any other account where you use the same "
        "one. We will post the next update on this page within 24 hours. We are sorry: keeping "
        "your data safe is our responsibility.",
        "lv": "Esam konstatējuši, ka kāds bez atļaujas piekļuvis daļai {brand} klientu datu. Šī "
        "piekļuve ir pārtraukta, esam informējuši Datu valsts inspekciju un kopā ar drošības "
        "speciālistiem noskaidrojam, kuri dati tieši skarti. Ja incidents skar jūsu datus, "
        "sazināsimies ar jums personīgi. Mēs nekad nelūdzam paroli vai kartes datus e-pastā, "
        "īsziņā vai pa tālruni – šādus ziņojumus, lūdzu, uzskatiet par krāpniecību. Piesardzības "
        "nolūkos nomainiet {brand} paroli un paroli citos kontos, kur izmantojat to pašu. "
        "Nākamo ziņu šajā lapā publicēsim 24 stundu laikā. Atvainojamies – par jūsu datu "
        "drošību atbildam mēs.",
        "lt": "Nustatėme, kad kažkas neteisėtai pasiekė dalį {brand} klientų duomenų. Šią prieigą "
        "nutraukėme, informavome Valstybinę duomenų apsaugos inspekciją ir kartu su saugumo "
        "specialistais aiškinamės, kurie duomenys buvo paveikti. Jei tai palietė jūsų duomenis, "
        "susisieksime su jumis asmeniškai. Mes niekada neprašome slaptažodžio ar kortelės "
        "duomenų el. paštu, SMS žinute ar telefonu – tokius pranešimus laikykite sukčiavimu. "
        "Atsargumo sumetimais pakeiskite {brand} slaptažodį ir slaptažodžius kitose paskyrose, "
        "kuriose naudojate tą patį. Kitą pranešimą šiame puslapyje paskelbsime per 24 valandas. "
        "Atsiprašome – už jūsų duomenų saugumą atsakome mes.",
        "pl": "Wykryliśmy, że ktoś uzyskał nieuprawniony dostęp do części danych klientów "
        "{brand}. Zablokowaliśmy ten dostęp, powiadomiliśmy Prezesa UODO i wraz ze specjalistami "
        "ds. bezpieczeństwa ustalamy, których danych to dotyczy. Jeśli incydent dotyczy Twoich "
        "danych, skontaktujemy się z Tobą bezpośrednio. Nigdy nie prosimy o hasło ani dane karty "
        "e-mailem, SMS-em czy telefonicznie – takie wiadomości traktuj jako próbę oszustwa. "
        "Dla bezpieczeństwa zmień hasło do {brand} oraz do innych kont, na których używasz tego "
        "samego hasła. Kolejną informację opublikujemy na tej stronie w ciągu 24 godzin. "
        "Przepraszamy – to my odpowiadamy za bezpieczeństwo Twoich danych.",
    },
}

OFFENSIVE = {
    "name": "Offensive post",
    "severity": "high",
    "description": "A post of the brand (or of someone speaking for it) offended people.",
    "checklist": [
        "Take the post down (keep a screenshot and its address for the record)",
        "Find out how it was published: who wrote it, who approved it, which account",
        "Publish the apology on the channel where it started and on the updates page",
        "Reply to the most shared reactions with the approved wording, nowhere else",
        "Check the posts scheduled for the coming days for tone and pause any that jar",
        "Brief staff and partners: what happened and what not to say in public",
        "Decide the changes to approval and access, and publish them in an update",
    ],
    "social": {
        "en": "A post on our account was offensive and should never have been published. We've "
        "removed it and we apologise to everyone it hurt. We're finding out how it happened and "
        "will share what we change: {updates_url}",
        "lv": "Mūsu kontā publicētais ieraksts bija aizskarošs, un tam nekad nevajadzēja "
        "parādīties. Esam to izdzēsuši un atvainojamies ikvienam, ko tas aizvainoja. "
        "Noskaidrojam, kā tas notika, un pastāstīsim, ko mainīsim: {updates_url}",
        "lt": "Mūsų paskyroje paskelbtas įrašas buvo įžeidus ir niekada neturėjo būti paskelbtas. "
        "Jį pašalinome ir atsiprašome visų, kuriuos jis įskaudino. Aiškinamės, kaip tai nutiko, "
        "ir pranešime, ką keisime: {updates_url}",
        "pl": "Wpis opublikowany na naszym koncie był obraźliwy i nigdy nie powinien się pojawić. "
        "Usunęliśmy go i przepraszamy wszystkich, których uraził. Sprawdzamy, jak do tego "
        "doszło, i poinformujemy, co zmienimy: {updates_url}",
    },
    "web": {
        "en": "A post published on a {brand} account was offensive. It does not reflect what we "
        "stand for, and it should never have been published. We have removed it, and we "
        "apologise sincerely to everyone it hurt. We are finding out how it was written and "
        "approved, and we will share on this page what we are changing so that it does not "
        "happen again.",
        "lv": "{brand} kontā publicētais ieraksts bija aizskarošs. Tas neatspoguļo mūsu vērtības, "
        "un tam nekad nevajadzēja parādīties. Esam to izdzēsuši un no sirds atvainojamies "
        "ikvienam, ko tas aizvainoja. Noskaidrojam, kā šis ieraksts tika uzrakstīts un "
        "apstiprināts, un šajā lapā pastāstīsim, ko mainām, lai tas neatkārtotos.",
        "lt": "{brand} paskyroje paskelbtas įrašas buvo įžeidus. Jis neatspindi mūsų vertybių ir "
        "niekada neturėjo būti paskelbtas. Jį pašalinome ir nuoširdžiai atsiprašome visų, kuriuos "
        "jis įskaudino. Aiškinamės, kaip šis įrašas buvo parašytas ir patvirtintas, o šiame "
        "puslapyje pranešime, ką keičiame, kad tai nepasikartotų.",
        "pl": "Wpis opublikowany na koncie {brand} był obraźliwy. Nie odzwierciedla naszych "
        "wartości i nigdy nie powinien się pojawić. Usunęliśmy go i szczerze przepraszamy "
        "wszystkich, których uraził. Ustalamy, jak ten wpis powstał i został zatwierdzony, a na "
        "tej stronie poinformujemy, co zmieniamy, aby to się nie powtórzyło.",
    },
}

OUTAGE = {
    "name": "Outage",
    "severity": "medium",
    "description": "A service, shop or app is down or too slow to use.",
    "checklist": [
        "Confirm the outage with the on-call engineer: what is down, for whom, since when",
        "Publish the first statement on the channel where it started and on the updates page",
        "Brief customer service with the statement and the expected next update",
        "Pause scheduled promotions that point people at the service",
        "Post an update every hour, even when there is no news",
        "Announce the recovery once the engineer confirms it",
        "Publish what caused it and what changes, within five working days",
    ],
    "social": {
        "en": "Some {brand} services are down or slow right now. Our engineers are on it. We're "
        "sorry for the disruption and will post the next update within an hour: {updates_url}",
        "lv": "Šobrīd daļa {brand} pakalpojumu nav pieejami vai darbojas lēni. Mūsu speciālisti "
        "jau strādā pie risinājuma. Atvainojamies par neērtībām – nākamo ziņu publicēsim stundas "
        "laikā: {updates_url}",
        "lt": "Šiuo metu dalis {brand} paslaugų neveikia arba veikia lėtai. Mūsų specialistai jau "
        "sprendžia problemą. Atsiprašome už nepatogumus – kitą pranešimą paskelbsime per "
        "valandą: {updates_url}",
        "pl": "Część usług {brand} jest obecnie niedostępna lub działa wolniej. Nasz zespół już "
        "pracuje nad rozwiązaniem. Przepraszamy za utrudnienia – kolejną informację "
        "opublikujemy w ciągu godziny: {updates_url}",
    },
    "web": {
        "en": "Some {brand} services are unavailable or slower than usual. Our engineers are "
        "working to restore them. We have no indication that any data is affected. We will "
        "update this page every hour until everything works again, and afterwards explain what "
        "happened. We are sorry for the disruption.",
        "lv": "Daļa {brand} pakalpojumu šobrīd nav pieejami vai darbojas lēnāk nekā parasti. Mūsu "
        "speciālisti strādā, lai tos atjaunotu. Mums nav ziņu, ka būtu skarti kādi dati. Šo lapu "
        "atjaunināsim katru stundu, līdz viss atkal darbosies, un pēc tam paskaidrosim, kas "
        "notika. Atvainojamies par sagādātajām neērtībām.",
        "lt": "Dalis {brand} paslaugų šiuo metu neveikia arba veikia lėčiau nei įprastai. Mūsų "
        "specialistai dirba, kad jas atkurtų. Neturime duomenų, kad būtų paveikta kokia nors "
        "informacija. Šį puslapį atnaujinsime kas valandą, kol viskas vėl veiks, o vėliau "
        "paaiškinsime, kas nutiko. Atsiprašome už nepatogumus.",
        "pl": "Część usług {brand} jest obecnie niedostępna lub działa wolniej niż zwykle. Nasi "
        "specjaliści pracują nad ich przywróceniem. Nic nie wskazuje na to, by problem dotyczył "
        "danych. Będziemy aktualizować tę stronę co godzinę, aż wszystko znów zacznie działać, "
        "a potem wyjaśnimy, co się stało. Przepraszamy za utrudnienia.",
    },
}

STARTERS: tuple[dict[str, Any], ...] = (RECALL, BREACH, OFFENSIVE, OUTAGE)
