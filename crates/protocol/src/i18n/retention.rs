//! The retention notice: the sentences a visitor reads next to the consent disclaimer and in
//! the privacy panel, telling how long the widget keeps their conversations, the details of
//! their visit and the record of their consent, in each interface language.
//!
//! The texts are plain data (`TABLE`): per language, each of the three sentences has one
//! form per CLDR category the language has for whole numbers ([`super::categories`]), in
//! that order, and each form holds the number as `{n}` exactly once.

use super::{categories, category, language};

/// How long a widget keeps each kind of data, as its notice states it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Periods {
    pub transcript_months: u32,
    /// `None` in privacy mode, where no details of the visit are kept.
    pub details_days: Option<u32>,
    /// `None` when the widget asks for no consent (no receipt is kept).
    pub receipt_months: Option<u32>,
}

/// English, which any code without a row gets.
const EN: [&[&str]; 3] = [
    &[
        "Conversations are deleted {n} month after their last message.",
        "Conversations are deleted {n} months after their last message.",
    ],
    &[
        "Details of your visit (page and browser type) are deleted after {n} day.",
        "Details of your visit (page and browser type) are deleted after {n} days.",
    ],
    &[
        "A record of your consent is kept as proof for {n} month after your last conversation is deleted.",
        "A record of your consent is kept as proof for {n} months after your last conversation is deleted.",
    ],
];

/// Per language (sorted by code, as [`super::LANGUAGES`]): the forms of the transcript,
/// details and receipt sentences, one per category of `categories(code)`, in that order.
const TABLE: &[(&str, [&[&str]; 3])] = &[
    (
        "ar",
        [
            // zero, one, two, few (3–10), many (11–99), other (100…)
            &[
                "تُحذف المحادثات بعد {n} شهر من آخر رسالة فيها.",
                "تُحذف المحادثات بعد {n} شهر من آخر رسالة فيها.",
                "تُحذف المحادثات بعد {n} شهرين من آخر رسالة فيها.",
                "تُحذف المحادثات بعد {n} أشهر من آخر رسالة فيها.",
                "تُحذف المحادثات بعد {n} شهرًا من آخر رسالة فيها.",
                "تُحذف المحادثات بعد {n} شهر من آخر رسالة فيها.",
            ],
            &[
                "تُحذف تفاصيل زيارتكم (الصفحة ونوع المتصفح) بعد {n} يوم.",
                "تُحذف تفاصيل زيارتكم (الصفحة ونوع المتصفح) بعد {n} يوم.",
                "تُحذف تفاصيل زيارتكم (الصفحة ونوع المتصفح) بعد {n} يومين.",
                "تُحذف تفاصيل زيارتكم (الصفحة ونوع المتصفح) بعد {n} أيام.",
                "تُحذف تفاصيل زيارتكم (الصفحة ونوع المتصفح) بعد {n} يومًا.",
                "تُحذف تفاصيل زيارتكم (الصفحة ونوع المتصفح) بعد {n} يوم.",
            ],
            &[
                "يُحتفظ بسجل موافقتكم كدليل لمدة {n} شهر بعد حذف آخر محادثة لكم.",
                "يُحتفظ بسجل موافقتكم كدليل لمدة {n} شهر بعد حذف آخر محادثة لكم.",
                "يُحتفظ بسجل موافقتكم كدليل لمدة {n} شهرين بعد حذف آخر محادثة لكم.",
                "يُحتفظ بسجل موافقتكم كدليل لمدة {n} أشهر بعد حذف آخر محادثة لكم.",
                "يُحتفظ بسجل موافقتكم كدليل لمدة {n} شهرًا بعد حذف آخر محادثة لكم.",
                "يُحتفظ بسجل موافقتكم كدليل لمدة {n} شهر بعد حذف آخر محادثة لكم.",
            ],
        ],
    ),
    (
        "bg",
        [
            &[
                "Разговорите се изтриват {n} месец след последното им съобщение.",
                "Разговорите се изтриват {n} месеца след последното им съобщение.",
            ],
            &[
                "Данните за посещението ви (страница и вид на браузъра) се изтриват след {n} ден.",
                "Данните за посещението ви (страница и вид на браузъра) се изтриват след {n} дни.",
            ],
            &[
                "Запис на съгласието ви се съхранява като доказателство още {n} месец след изтриването на последния ви разговор.",
                "Запис на съгласието ви се съхранява като доказателство още {n} месеца след изтриването на последния ви разговор.",
            ],
        ],
    ),
    (
        "cs",
        [
            &[
                "Konverzace se smažou {n} měsíc po poslední zprávě.",
                "Konverzace se smažou {n} měsíce po poslední zprávě.",
                "Konverzace se smažou {n} měsíců po poslední zprávě.",
            ],
            &[
                "Údaje o vaší návštěvě (stránka a typ prohlížeče) se smažou po {n} dni.",
                "Údaje o vaší návštěvě (stránka a typ prohlížeče) se smažou po {n} dnech.",
                "Údaje o vaší návštěvě (stránka a typ prohlížeče) se smažou po {n} dnech.",
            ],
            &[
                "Záznam o vašem souhlasu se uchovává jako doklad ještě {n} měsíc po smazání vaší poslední konverzace.",
                "Záznam o vašem souhlasu se uchovává jako doklad ještě {n} měsíce po smazání vaší poslední konverzace.",
                "Záznam o vašem souhlasu se uchovává jako doklad ještě {n} měsíců po smazání vaší poslední konverzace.",
            ],
        ],
    ),
    (
        "da",
        [
            &[
                "Samtaler slettes {n} måned efter deres sidste besked.",
                "Samtaler slettes {n} måneder efter deres sidste besked.",
            ],
            &[
                "Oplysninger om dit besøg (side og browsertype) slettes efter {n} dag.",
                "Oplysninger om dit besøg (side og browsertype) slettes efter {n} dage.",
            ],
            &[
                "En registrering af dit samtykke opbevares som dokumentation i {n} måned, efter at din sidste samtale er slettet.",
                "En registrering af dit samtykke opbevares som dokumentation i {n} måneder, efter at din sidste samtale er slettet.",
            ],
        ],
    ),
    (
        "de",
        [
            &[
                "Gespräche werden {n} Monat nach ihrer letzten Nachricht gelöscht.",
                "Gespräche werden {n} Monate nach ihrer letzten Nachricht gelöscht.",
            ],
            &[
                "Angaben zu Ihrem Besuch (Seite und Browsertyp) werden nach {n} Tag gelöscht.",
                "Angaben zu Ihrem Besuch (Seite und Browsertyp) werden nach {n} Tagen gelöscht.",
            ],
            &[
                "Ein Protokoll Ihrer Einwilligung wird als Nachweis noch {n} Monat nach der Löschung Ihres letzten Gesprächs aufbewahrt.",
                "Ein Protokoll Ihrer Einwilligung wird als Nachweis noch {n} Monate nach der Löschung Ihres letzten Gesprächs aufbewahrt.",
            ],
        ],
    ),
    (
        "el",
        [
            &[
                "Οι συνομιλίες διαγράφονται {n} μήνα μετά το τελευταίο τους μήνυμα.",
                "Οι συνομιλίες διαγράφονται {n} μήνες μετά το τελευταίο τους μήνυμα.",
            ],
            &[
                "Τα στοιχεία της επίσκεψής σας (σελίδα και τύπος προγράμματος περιήγησης) διαγράφονται μετά από {n} ημέρα.",
                "Τα στοιχεία της επίσκεψής σας (σελίδα και τύπος προγράμματος περιήγησης) διαγράφονται μετά από {n} ημέρες.",
            ],
            &[
                "Ένα αρχείο της συγκατάθεσής σας διατηρείται ως αποδεικτικό για {n} μήνα μετά τη διαγραφή της τελευταίας συνομιλίας σας.",
                "Ένα αρχείο της συγκατάθεσής σας διατηρείται ως αποδεικτικό για {n} μήνες μετά τη διαγραφή της τελευταίας συνομιλίας σας.",
            ],
        ],
    ),
    ("en", EN),
    (
        "es",
        [
            // one, many (millions), other
            &[
                "Las conversaciones se eliminan {n} mes después de su último mensaje.",
                "Las conversaciones se eliminan {n} de meses después de su último mensaje.",
                "Las conversaciones se eliminan {n} meses después de su último mensaje.",
            ],
            &[
                "Los datos de su visita (página y tipo de navegador) se eliminan al cabo de {n} día.",
                "Los datos de su visita (página y tipo de navegador) se eliminan al cabo de {n} de días.",
                "Los datos de su visita (página y tipo de navegador) se eliminan al cabo de {n} días.",
            ],
            &[
                "Un registro de su consentimiento se conserva como prueba durante {n} mes después de que se elimine su última conversación.",
                "Un registro de su consentimiento se conserva como prueba durante {n} de meses después de que se elimine su última conversación.",
                "Un registro de su consentimiento se conserva como prueba durante {n} meses después de que se elimine su última conversación.",
            ],
        ],
    ),
    (
        "et",
        [
            &[
                "Vestlused kustutatakse {n} kuu möödumisel viimasest sõnumist.",
                "Vestlused kustutatakse {n} kuu möödumisel viimasest sõnumist.",
            ],
            &[
                "Teie külastuse andmed (leht ja brauseri tüüp) kustutatakse {n} päeva möödumisel.",
                "Teie külastuse andmed (leht ja brauseri tüüp) kustutatakse {n} päeva möödumisel.",
            ],
            &[
                "Teie nõusoleku kirjet säilitatakse tõendina {n} kuu jooksul pärast teie viimase vestluse kustutamist.",
                "Teie nõusoleku kirjet säilitatakse tõendina {n} kuu jooksul pärast teie viimase vestluse kustutamist.",
            ],
        ],
    ),
    (
        "fi",
        [
            &[
                "Keskustelut poistetaan {n} kuukausi viimeisen viestin jälkeen.",
                "Keskustelut poistetaan {n} kuukautta viimeisen viestin jälkeen.",
            ],
            &[
                "Käyntiä koskevat tiedot (sivu ja selaintyyppi) poistetaan {n} päivän kuluttua.",
                "Käyntiä koskevat tiedot (sivu ja selaintyyppi) poistetaan {n} päivän kuluttua.",
            ],
            &[
                "Merkintä suostumuksesta säilytetään todisteena {n} kuukauden ajan sen jälkeen, kun viimeinen keskustelu on poistettu.",
                "Merkintä suostumuksesta säilytetään todisteena {n} kuukauden ajan sen jälkeen, kun viimeinen keskustelu on poistettu.",
            ],
        ],
    ),
    (
        "fr",
        [
            // one (0 and 1), many (millions), other
            &[
                "Les conversations sont supprimées {n} mois après leur dernier message.",
                "Les conversations sont supprimées {n} de mois après leur dernier message.",
                "Les conversations sont supprimées {n} mois après leur dernier message.",
            ],
            &[
                "Les informations sur votre visite (page et type de navigateur) sont supprimées au bout de {n} jour.",
                "Les informations sur votre visite (page et type de navigateur) sont supprimées au bout de {n} de jours.",
                "Les informations sur votre visite (page et type de navigateur) sont supprimées au bout de {n} jours.",
            ],
            &[
                "Une trace de votre consentement est conservée à titre de preuve pendant {n} mois après la suppression de votre dernière conversation.",
                "Une trace de votre consentement est conservée à titre de preuve pendant {n} de mois après la suppression de votre dernière conversation.",
                "Une trace de votre consentement est conservée à titre de preuve pendant {n} mois après la suppression de votre dernière conversation.",
            ],
        ],
    ),
    (
        "ga",
        [
            // one, two, few (3–6: lenition), many (7–10), other
            &[
                "Scriostar comhráite {n} mhí tar éis na teachtaireachta deireanaí.",
                "Scriostar comhráite {n} mhí tar éis na teachtaireachta deireanaí.",
                "Scriostar comhráite {n} mhí tar éis na teachtaireachta deireanaí.",
                "Scriostar comhráite {n} mí tar éis na teachtaireachta deireanaí.",
                "Scriostar comhráite {n} mí tar éis na teachtaireachta deireanaí.",
            ],
            &[
                "Scriostar na sonraí faoi do chuairt (leathanach agus cineál brabhsálaí) tar éis {n} lá.",
                "Scriostar na sonraí faoi do chuairt (leathanach agus cineál brabhsálaí) tar éis {n} lá.",
                "Scriostar na sonraí faoi do chuairt (leathanach agus cineál brabhsálaí) tar éis {n} lá.",
                "Scriostar na sonraí faoi do chuairt (leathanach agus cineál brabhsálaí) tar éis {n} lá.",
                "Scriostar na sonraí faoi do chuairt (leathanach agus cineál brabhsálaí) tar éis {n} lá.",
            ],
            &[
                "Coinnítear taifead de do thoiliú mar chruthúnas ar feadh {n} mhí tar éis do chomhrá deireanach a scriosadh.",
                "Coinnítear taifead de do thoiliú mar chruthúnas ar feadh {n} mhí tar éis do chomhrá deireanach a scriosadh.",
                "Coinnítear taifead de do thoiliú mar chruthúnas ar feadh {n} mhí tar éis do chomhrá deireanach a scriosadh.",
                "Coinnítear taifead de do thoiliú mar chruthúnas ar feadh {n} mí tar éis do chomhrá deireanach a scriosadh.",
                "Coinnítear taifead de do thoiliú mar chruthúnas ar feadh {n} mí tar éis do chomhrá deireanach a scriosadh.",
            ],
        ],
    ),
    (
        "he",
        [
            // one, two, other
            &[
                "השיחות נמחקות {n} חודש לאחר ההודעה האחרונה בהן.",
                "השיחות נמחקות {n} חודשים לאחר ההודעה האחרונה בהן.",
                "השיחות נמחקות {n} חודשים לאחר ההודעה האחרונה בהן.",
            ],
            &[
                "פרטי הביקור שלכם (הדף וסוג הדפדפן) נמחקים לאחר {n} יום.",
                "פרטי הביקור שלכם (הדף וסוג הדפדפן) נמחקים לאחר {n} ימים.",
                "פרטי הביקור שלכם (הדף וסוג הדפדפן) נמחקים לאחר {n} ימים.",
            ],
            &[
                "תיעוד של הסכמתכם נשמר כהוכחה במשך {n} חודש לאחר מחיקת השיחה האחרונה שלכם.",
                "תיעוד של הסכמתכם נשמר כהוכחה במשך {n} חודשים לאחר מחיקת השיחה האחרונה שלכם.",
                "תיעוד של הסכמתכם נשמר כהוכחה במשך {n} חודשים לאחר מחיקת השיחה האחרונה שלכם.",
            ],
        ],
    ),
    (
        "hr",
        [
            &[
                "Razgovori se brišu {n} mjesec nakon posljednje poruke.",
                "Razgovori se brišu {n} mjeseca nakon posljednje poruke.",
                "Razgovori se brišu {n} mjeseci nakon posljednje poruke.",
            ],
            &[
                "Podaci o vašem posjetu (stranica i vrsta preglednika) brišu se nakon {n} dana.",
                "Podaci o vašem posjetu (stranica i vrsta preglednika) brišu se nakon {n} dana.",
                "Podaci o vašem posjetu (stranica i vrsta preglednika) brišu se nakon {n} dana.",
            ],
            &[
                "Zapis o vašoj privoli čuva se kao dokaz još {n} mjesec nakon brisanja vašeg posljednjeg razgovora.",
                "Zapis o vašoj privoli čuva se kao dokaz još {n} mjeseca nakon brisanja vašeg posljednjeg razgovora.",
                "Zapis o vašoj privoli čuva se kao dokaz još {n} mjeseci nakon brisanja vašeg posljednjeg razgovora.",
            ],
        ],
    ),
    (
        "hu",
        [
            &[
                "A beszélgetések az utolsó üzenetük után {n} hónappal törlődnek.",
                "A beszélgetések az utolsó üzenetük után {n} hónappal törlődnek.",
            ],
            &[
                "Az Ön látogatásának adatai (oldal és böngészőtípus) {n} nap elteltével törlődnek.",
                "Az Ön látogatásának adatai (oldal és böngészőtípus) {n} nap elteltével törlődnek.",
            ],
            &[
                "A hozzájárulásáról készült nyilvántartást bizonyítékként még {n} hónapig megőrizzük az utolsó beszélgetésének törlése után.",
                "A hozzájárulásáról készült nyilvántartást bizonyítékként még {n} hónapig megőrizzük az utolsó beszélgetésének törlése után.",
            ],
        ],
    ),
    (
        "is",
        [
            // one (1, 21, 31… but not 11), other
            &[
                "Samtölum er eytt {n} mánuði eftir síðustu skilaboð.",
                "Samtölum er eytt {n} mánuðum eftir síðustu skilaboð.",
            ],
            &[
                "Upplýsingum um heimsókn þína (síða og tegund vafra) er eytt eftir {n} dag.",
                "Upplýsingum um heimsókn þína (síða og tegund vafra) er eytt eftir {n} daga.",
            ],
            &[
                "Skrá um samþykki þitt er geymd sem sönnun í {n} mánuð eftir að síðasta samtali þínu hefur verið eytt.",
                "Skrá um samþykki þitt er geymd sem sönnun í {n} mánuði eftir að síðasta samtali þínu hefur verið eytt.",
            ],
        ],
    ),
    (
        "it",
        [
            // one, many (millions), other
            &[
                "Le conversazioni vengono eliminate {n} mese dopo l'ultimo messaggio.",
                "Le conversazioni vengono eliminate {n} di mesi dopo l'ultimo messaggio.",
                "Le conversazioni vengono eliminate {n} mesi dopo l'ultimo messaggio.",
            ],
            &[
                "I dati della sua visita (pagina e tipo di browser) vengono eliminati dopo {n} giorno.",
                "I dati della sua visita (pagina e tipo di browser) vengono eliminati dopo {n} di giorni.",
                "I dati della sua visita (pagina e tipo di browser) vengono eliminati dopo {n} giorni.",
            ],
            &[
                "Una traccia del suo consenso viene conservata come prova per {n} mese dopo l'eliminazione della sua ultima conversazione.",
                "Una traccia del suo consenso viene conservata come prova per {n} di mesi dopo l'eliminazione della sua ultima conversazione.",
                "Una traccia del suo consenso viene conservata come prova per {n} mesi dopo l'eliminazione della sua ultima conversazione.",
            ],
        ],
    ),
    (
        "ja",
        [
            &["会話は最後のメッセージから{n}か月後に削除されます。"],
            &["ご訪問の詳細（ページとブラウザの種類）は{n}日後に削除されます。"],
            &["同意の記録は、最後の会話が削除されてから{n}か月間、証拠として保管されます。"],
        ],
    ),
    (
        "lt",
        [
            // one (1, 21…), few (2–9, 22–29…), other (0, 10–20, 30…)
            &[
                "Pokalbiai ištrinami praėjus {n} mėnesiui nuo paskutinės žinutės.",
                "Pokalbiai ištrinami praėjus {n} mėnesiams nuo paskutinės žinutės.",
                "Pokalbiai ištrinami praėjus {n} mėnesių nuo paskutinės žinutės.",
            ],
            &[
                "Jūsų apsilankymo duomenys (puslapis ir naršyklės tipas) ištrinami po {n} dienos.",
                "Jūsų apsilankymo duomenys (puslapis ir naršyklės tipas) ištrinami po {n} dienų.",
                "Jūsų apsilankymo duomenys (puslapis ir naršyklės tipas) ištrinami po {n} dienų.",
            ],
            &[
                "Jūsų sutikimo įrašas saugomas kaip įrodymas {n} mėnesį po to, kai ištrinamas paskutinis jūsų pokalbis.",
                "Jūsų sutikimo įrašas saugomas kaip įrodymas {n} mėnesius po to, kai ištrinamas paskutinis jūsų pokalbis.",
                "Jūsų sutikimo įrašas saugomas kaip įrodymas {n} mėnesių po to, kai ištrinamas paskutinis jūsų pokalbis.",
            ],
        ],
    ),
    (
        "lv",
        [
            // zero (0, 10–20, 30…), one (1, 21…), other
            &[
                "Sarunas tiek dzēstas {n} mēnešus pēc pēdējās ziņas.",
                "Sarunas tiek dzēstas {n} mēnesi pēc pēdējās ziņas.",
                "Sarunas tiek dzēstas {n} mēnešus pēc pēdējās ziņas.",
            ],
            &[
                "Jūsu apmeklējuma dati (lapa un pārlūkprogrammas veids) tiek dzēsti pēc {n} dienām.",
                "Jūsu apmeklējuma dati (lapa un pārlūkprogrammas veids) tiek dzēsti pēc {n} dienas.",
                "Jūsu apmeklējuma dati (lapa un pārlūkprogrammas veids) tiek dzēsti pēc {n} dienām.",
            ],
            &[
                "Jūsu piekrišanas ieraksts tiek glabāts kā pierādījums {n} mēnešus pēc jūsu pēdējās sarunas dzēšanas.",
                "Jūsu piekrišanas ieraksts tiek glabāts kā pierādījums {n} mēnesi pēc jūsu pēdējās sarunas dzēšanas.",
                "Jūsu piekrišanas ieraksts tiek glabāts kā pierādījums {n} mēnešus pēc jūsu pēdējās sarunas dzēšanas.",
            ],
        ],
    ),
    (
        "mt",
        [
            // one, two, few (0, 3–10), many (11–19: "-il"), other
            &[
                "Il-konversazzjonijiet jitħassru {n} xahar wara l-aħħar messaġġ tagħhom.",
                "Il-konversazzjonijiet jitħassru {n} xhur wara l-aħħar messaġġ tagħhom.",
                "Il-konversazzjonijiet jitħassru {n} xhur wara l-aħħar messaġġ tagħhom.",
                "Il-konversazzjonijiet jitħassru {n}-il xahar wara l-aħħar messaġġ tagħhom.",
                "Il-konversazzjonijiet jitħassru {n} xahar wara l-aħħar messaġġ tagħhom.",
            ],
            &[
                "Id-dettalji taż-żjara tiegħek (il-paġna u t-tip ta' brawżer) jitħassru wara {n} jum.",
                "Id-dettalji taż-żjara tiegħek (il-paġna u t-tip ta' brawżer) jitħassru wara {n} jiem.",
                "Id-dettalji taż-żjara tiegħek (il-paġna u t-tip ta' brawżer) jitħassru wara {n} jiem.",
                "Id-dettalji taż-żjara tiegħek (il-paġna u t-tip ta' brawżer) jitħassru wara {n}-il jum.",
                "Id-dettalji taż-żjara tiegħek (il-paġna u t-tip ta' brawżer) jitħassru wara {n} jum.",
            ],
            &[
                "Rekord tal-kunsens tiegħek jinżamm bħala prova għal {n} xahar wara li titħassar l-aħħar konversazzjoni tiegħek.",
                "Rekord tal-kunsens tiegħek jinżamm bħala prova għal {n} xhur wara li titħassar l-aħħar konversazzjoni tiegħek.",
                "Rekord tal-kunsens tiegħek jinżamm bħala prova għal {n} xhur wara li titħassar l-aħħar konversazzjoni tiegħek.",
                "Rekord tal-kunsens tiegħek jinżamm bħala prova għal {n}-il xahar wara li titħassar l-aħħar konversazzjoni tiegħek.",
                "Rekord tal-kunsens tiegħek jinżamm bħala prova għal {n} xahar wara li titħassar l-aħħar konversazzjoni tiegħek.",
            ],
        ],
    ),
    (
        "nb",
        [
            &[
                "Samtaler slettes {n} måned etter siste melding.",
                "Samtaler slettes {n} måneder etter siste melding.",
            ],
            &[
                "Opplysninger om besøket ditt (side og nettlesertype) slettes etter {n} dag.",
                "Opplysninger om besøket ditt (side og nettlesertype) slettes etter {n} dager.",
            ],
            &[
                "En registrering av samtykket ditt oppbevares som dokumentasjon i {n} måned etter at den siste samtalen din er slettet.",
                "En registrering av samtykket ditt oppbevares som dokumentasjon i {n} måneder etter at den siste samtalen din er slettet.",
            ],
        ],
    ),
    (
        "nl",
        [
            &[
                "Gesprekken worden {n} maand na het laatste bericht verwijderd.",
                "Gesprekken worden {n} maanden na het laatste bericht verwijderd.",
            ],
            &[
                "Gegevens over uw bezoek (pagina en type browser) worden na {n} dag verwijderd.",
                "Gegevens over uw bezoek (pagina en type browser) worden na {n} dagen verwijderd.",
            ],
            &[
                "Een vastlegging van uw toestemming wordt als bewijs nog {n} maand bewaard nadat uw laatste gesprek is verwijderd.",
                "Een vastlegging van uw toestemming wordt als bewijs nog {n} maanden bewaard nadat uw laatste gesprek is verwijderd.",
            ],
        ],
    ),
    (
        "pl",
        [
            // one (1), few (2–4, 22–24…), many (0, 5–21, 25…)
            &[
                "Rozmowy są usuwane {n} miesiąc po ostatniej wiadomości.",
                "Rozmowy są usuwane {n} miesiące po ostatniej wiadomości.",
                "Rozmowy są usuwane {n} miesięcy po ostatniej wiadomości.",
            ],
            &[
                "Dane dotyczące Państwa wizyty (strona i typ przeglądarki) są usuwane po {n} dniu.",
                "Dane dotyczące Państwa wizyty (strona i typ przeglądarki) są usuwane po {n} dniach.",
                "Dane dotyczące Państwa wizyty (strona i typ przeglądarki) są usuwane po {n} dniach.",
            ],
            &[
                "Zapis Państwa zgody jest przechowywany jako dowód przez {n} miesiąc po usunięciu ostatniej rozmowy.",
                "Zapis Państwa zgody jest przechowywany jako dowód przez {n} miesiące po usunięciu ostatniej rozmowy.",
                "Zapis Państwa zgody jest przechowywany jako dowód przez {n} miesięcy po usunięciu ostatniej rozmowy.",
            ],
        ],
    ),
    (
        "pt",
        [
            // one, many (millions), other
            &[
                "As conversas são eliminadas {n} mês após a última mensagem.",
                "As conversas são eliminadas {n} de meses após a última mensagem.",
                "As conversas são eliminadas {n} meses após a última mensagem.",
            ],
            &[
                "Os dados da sua visita (página e tipo de navegador) são eliminados após {n} dia.",
                "Os dados da sua visita (página e tipo de navegador) são eliminados após {n} de dias.",
                "Os dados da sua visita (página e tipo de navegador) são eliminados após {n} dias.",
            ],
            &[
                "Um registo do seu consentimento é guardado como prova durante {n} mês após a eliminação da sua última conversa.",
                "Um registo do seu consentimento é guardado como prova durante {n} de meses após a eliminação da sua última conversa.",
                "Um registo do seu consentimento é guardado como prova durante {n} meses após a eliminação da sua última conversa.",
            ],
        ],
    ),
    (
        "pt-BR",
        [
            // one (0 and 1), many (millions), other
            &[
                "As conversas são excluídas {n} mês após a última mensagem.",
                "As conversas são excluídas {n} de meses após a última mensagem.",
                "As conversas são excluídas {n} meses após a última mensagem.",
            ],
            &[
                "Os dados da sua visita (página e tipo de navegador) são excluídos após {n} dia.",
                "Os dados da sua visita (página e tipo de navegador) são excluídos após {n} de dias.",
                "Os dados da sua visita (página e tipo de navegador) são excluídos após {n} dias.",
            ],
            &[
                "Um registro do seu consentimento é mantido como prova por {n} mês após a exclusão da sua última conversa.",
                "Um registro do seu consentimento é mantido como prova por {n} de meses após a exclusão da sua última conversa.",
                "Um registro do seu consentimento é mantido como prova por {n} meses após a exclusão da sua última conversa.",
            ],
        ],
    ),
    (
        "ro",
        [
            // one (1), few (0, 2–19, 101–119…), other (20… : "de")
            &[
                "Conversațiile sunt șterse la {n} lună după ultimul mesaj.",
                "Conversațiile sunt șterse la {n} luni după ultimul mesaj.",
                "Conversațiile sunt șterse la {n} de luni după ultimul mesaj.",
            ],
            &[
                "Detaliile vizitei dumneavoastră (pagina și tipul de browser) sunt șterse după {n} zi.",
                "Detaliile vizitei dumneavoastră (pagina și tipul de browser) sunt șterse după {n} zile.",
                "Detaliile vizitei dumneavoastră (pagina și tipul de browser) sunt șterse după {n} de zile.",
            ],
            &[
                "O înregistrare a consimțământului dumneavoastră este păstrată ca dovadă timp de {n} lună după ștergerea ultimei conversații.",
                "O înregistrare a consimțământului dumneavoastră este păstrată ca dovadă timp de {n} luni după ștergerea ultimei conversații.",
                "O înregistrare a consimțământului dumneavoastră este păstrată ca dovadă timp de {n} de luni după ștergerea ultimei conversații.",
            ],
        ],
    ),
    (
        "ru",
        [
            // one (1, 21…), few (2–4, 22–24…), many (0, 5–20, 25…)
            &[
                "Разговоры удаляются через {n} месяц после последнего сообщения.",
                "Разговоры удаляются через {n} месяца после последнего сообщения.",
                "Разговоры удаляются через {n} месяцев после последнего сообщения.",
            ],
            &[
                "Данные о вашем посещении (страница и тип браузера) удаляются через {n} день.",
                "Данные о вашем посещении (страница и тип браузера) удаляются через {n} дня.",
                "Данные о вашем посещении (страница и тип браузера) удаляются через {n} дней.",
            ],
            &[
                "Запись о вашем согласии хранится как доказательство ещё {n} месяц после удаления вашего последнего разговора.",
                "Запись о вашем согласии хранится как доказательство ещё {n} месяца после удаления вашего последнего разговора.",
                "Запись о вашем согласии хранится как доказательство ещё {n} месяцев после удаления вашего последнего разговора.",
            ],
        ],
    ),
    (
        "sk",
        [
            &[
                "Konverzácie sa vymažú {n} mesiac po poslednej správe.",
                "Konverzácie sa vymažú {n} mesiace po poslednej správe.",
                "Konverzácie sa vymažú {n} mesiacov po poslednej správe.",
            ],
            &[
                "Údaje o vašej návšteve (stránka a typ prehliadača) sa vymažú po {n} dni.",
                "Údaje o vašej návšteve (stránka a typ prehliadača) sa vymažú po {n} dňoch.",
                "Údaje o vašej návšteve (stránka a typ prehliadača) sa vymažú po {n} dňoch.",
            ],
            &[
                "Záznam o vašom súhlase sa uchováva ako doklad ešte {n} mesiac po vymazaní vašej poslednej konverzácie.",
                "Záznam o vašom súhlase sa uchováva ako doklad ešte {n} mesiace po vymazaní vašej poslednej konverzácie.",
                "Záznam o vašom súhlase sa uchováva ako doklad ešte {n} mesiacov po vymazaní vašej poslednej konverzácie.",
            ],
        ],
    ),
    (
        "sl",
        [
            // one (…01), two (…02), few (…03, …04), other
            &[
                "Pogovori se izbrišejo {n} mesec po zadnjem sporočilu.",
                "Pogovori se izbrišejo {n} meseca po zadnjem sporočilu.",
                "Pogovori se izbrišejo {n} mesece po zadnjem sporočilu.",
                "Pogovori se izbrišejo {n} mesecev po zadnjem sporočilu.",
            ],
            &[
                "Podatki o vašem obisku (stran in vrsta brskalnika) se izbrišejo po {n} dnevu.",
                "Podatki o vašem obisku (stran in vrsta brskalnika) se izbrišejo po {n} dneh.",
                "Podatki o vašem obisku (stran in vrsta brskalnika) se izbrišejo po {n} dneh.",
                "Podatki o vašem obisku (stran in vrsta brskalnika) se izbrišejo po {n} dneh.",
            ],
            &[
                "Zapis o vaši privolitvi se hrani kot dokaz še {n} mesec po izbrisu vašega zadnjega pogovora.",
                "Zapis o vaši privolitvi se hrani kot dokaz še {n} meseca po izbrisu vašega zadnjega pogovora.",
                "Zapis o vaši privolitvi se hrani kot dokaz še {n} mesece po izbrisu vašega zadnjega pogovora.",
                "Zapis o vaši privolitvi se hrani kot dokaz še {n} mesecev po izbrisu vašega zadnjega pogovora.",
            ],
        ],
    ),
    (
        "sv",
        [
            &[
                "Samtal raderas {n} månad efter det senaste meddelandet.",
                "Samtal raderas {n} månader efter det senaste meddelandet.",
            ],
            &[
                "Uppgifter om ditt besök (sida och webbläsartyp) raderas efter {n} dag.",
                "Uppgifter om ditt besök (sida och webbläsartyp) raderas efter {n} dagar.",
            ],
            &[
                "En registrering av ditt samtycke sparas som bevis i {n} månad efter att ditt senaste samtal har raderats.",
                "En registrering av ditt samtycke sparas som bevis i {n} månader efter att ditt senaste samtal har raderats.",
            ],
        ],
    ),
    (
        "tr",
        [
            &[
                "Görüşmeler son mesajlarından {n} ay sonra silinir.",
                "Görüşmeler son mesajlarından {n} ay sonra silinir.",
            ],
            &[
                "Ziyaretinize ait bilgiler (sayfa ve tarayıcı türü) {n} gün sonra silinir.",
                "Ziyaretinize ait bilgiler (sayfa ve tarayıcı türü) {n} gün sonra silinir.",
            ],
            &[
                "Onayınızın kaydı, son görüşmeniz silindikten sonra kanıt olarak {n} ay daha saklanır.",
                "Onayınızın kaydı, son görüşmeniz silindikten sonra kanıt olarak {n} ay daha saklanır.",
            ],
        ],
    ),
    (
        "uk",
        [
            // one (1, 21…), few (2–4, 22–24…), many (0, 5–20, 25…)
            &[
                "Розмови видаляються через {n} місяць після останнього повідомлення.",
                "Розмови видаляються через {n} місяці після останнього повідомлення.",
                "Розмови видаляються через {n} місяців після останнього повідомлення.",
            ],
            &[
                "Дані про ваше відвідування (сторінка та тип браузера) видаляються через {n} день.",
                "Дані про ваше відвідування (сторінка та тип браузера) видаляються через {n} дні.",
                "Дані про ваше відвідування (сторінка та тип браузера) видаляються через {n} днів.",
            ],
            &[
                "Запис про вашу згоду зберігається як доказ ще {n} місяць після видалення вашої останньої розмови.",
                "Запис про вашу згоду зберігається як доказ ще {n} місяці після видалення вашої останньої розмови.",
                "Запис про вашу згоду зберігається як доказ ще {n} місяців після видалення вашої останньої розмови.",
            ],
        ],
    ),
    (
        "zh-Hans",
        [
            &["对话将在最后一条消息发出 {n} 个月后删除。"],
            &["您的访问详情（页面和浏览器类型）将在 {n} 天后删除。"],
            &["您的同意记录将在您最后一次对话删除后作为凭证保留 {n} 个月。"],
        ],
    ),
];

/// The row of `code` (exact, as in the table).
fn row(code: &str) -> Option<&'static [&'static [&'static str]; 3]> {
    TABLE
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, texts)| texts)
}

/// The form of one sentence for the count `n`, with `{n}` replaced by it (ASCII digits).
fn sentence(code: &str, forms: &[&str], n: u32) -> String {
    let wanted = category(code, u64::from(n));
    let at = categories(code)
        .iter()
        .position(|c| *c == wanted)
        .unwrap_or(0);
    forms
        .get(at)
        .or(forms.last())
        .copied()
        .unwrap_or_default()
        .replace("{n}", &n.to_string())
}

/// The notice in `lang` (an interface language code as in LANGUAGES; any other code gets English):
/// the transcript sentence, then the details sentence when `details_days` is Some, then the
/// receipt sentence when `receipt_months` is Some, joined by the language's sentence separator
/// (a space; nothing for ja and zh-Hans, whose sentences end with 。).
pub fn notice(lang: &str, periods: Periods) -> String {
    let (code, texts) = language(lang)
        .and_then(|l| Some((l.code, row(l.code)?)))
        .unwrap_or(("en", &EN));
    let separator = if matches!(code, "ja" | "zh-Hans") {
        ""
    } else {
        " "
    };
    let [transcript, details, receipt] = texts;
    let mut out = sentence(code, transcript, periods.transcript_months);
    for (forms, n) in [
        (details, periods.details_days),
        (receipt, periods.receipt_months),
    ] {
        if let Some(n) = n {
            out.push_str(separator);
            out.push_str(&sentence(code, forms, n));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::LANGUAGES;

    const EN_FULL: Periods = Periods {
        transcript_months: 6,
        details_days: Some(30),
        receipt_months: Some(36),
    };

    fn transcript_only(months: u32) -> Periods {
        Periods {
            transcript_months: months,
            details_days: None,
            receipt_months: None,
        }
    }

    #[test]
    fn every_language_has_a_row_and_the_rows_are_sorted_like_languages() {
        let rows: Vec<&str> = TABLE.iter().map(|(code, _)| *code).collect();
        let languages: Vec<&str> = LANGUAGES.iter().map(|l| l.code).collect();
        assert_eq!(rows, languages);
    }

    #[test]
    fn each_text_has_one_form_per_category_each_with_the_number_once() {
        for (code, texts) in TABLE {
            let wanted = categories(code).len();
            for (i, forms) in texts.iter().enumerate() {
                assert_eq!(
                    forms.len(),
                    wanted,
                    "{code} text {i}: one form per category"
                );
                for form in *forms {
                    assert_eq!(form.matches("{n}").count(), 1, "{code}: {form}");
                    assert_eq!(form.matches('{').count(), 1, "{code}: {form}");
                    assert_eq!(form.matches('}').count(), 1, "{code}: {form}");
                    assert_eq!(form.trim(), *form, "{code}: no outer spaces in {form:?}");
                }
            }
        }
    }

    #[test]
    fn no_language_but_english_has_an_english_form() {
        let en = &EN;
        let en_categories = categories("en");
        for (code, texts) in TABLE.iter().filter(|(code, _)| *code != "en") {
            for (forms, en_forms) in texts.iter().zip(en) {
                for (form, cat) in forms.iter().zip(categories(code)) {
                    if let Some(at) = en_categories.iter().position(|c| c == cat) {
                        assert_ne!(*form, en_forms[at], "{code} {cat:?}: untranslated");
                    }
                }
            }
        }
    }

    #[test]
    fn the_english_notice_reads_as_written() {
        assert_eq!(
            notice("en", EN_FULL),
            "Conversations are deleted 6 months after their last message. \
             Details of your visit (page and browser type) are deleted after 30 days. \
             A record of your consent is kept as proof for 36 months after your last \
             conversation is deleted."
        );
    }

    #[test]
    fn without_details_and_receipt_only_the_transcript_sentence_is_left() {
        assert_eq!(
            notice("en", transcript_only(6)),
            "Conversations are deleted 6 months after their last message."
        );
    }

    #[test]
    fn one_month_and_one_day_are_singular_in_english() {
        let one = Periods {
            transcript_months: 1,
            details_days: Some(1),
            receipt_months: Some(1),
        };
        assert_eq!(
            notice("en", one),
            "Conversations are deleted 1 month after their last message. \
             Details of your visit (page and browser type) are deleted after 1 day. \
             A record of your consent is kept as proof for 1 month after your last \
             conversation is deleted."
        );
    }

    #[test]
    fn polish_picks_the_form_of_each_count() {
        for (months, want) in [
            (1, "Rozmowy są usuwane 1 miesiąc po ostatniej wiadomości."),
            (2, "Rozmowy są usuwane 2 miesiące po ostatniej wiadomości."),
            (5, "Rozmowy są usuwane 5 miesięcy po ostatniej wiadomości."),
            (
                22,
                "Rozmowy są usuwane 22 miesiące po ostatniej wiadomości.",
            ),
        ] {
            assert_eq!(notice("pl", transcript_only(months)), want, "{months}");
        }
    }

    #[test]
    fn japanese_sentences_are_joined_without_a_space() {
        assert_eq!(
            notice("ja", EN_FULL),
            "会話は最後のメッセージから6か月後に削除されます。\
             ご訪問の詳細（ページとブラウザの種類）は30日後に削除されます。\
             同意の記録は、最後の会話が削除されてから36か月間、証拠として保管されます。"
        );
    }

    #[test]
    fn an_unknown_language_gets_english() {
        assert_eq!(notice("xx", EN_FULL), notice("en", EN_FULL));
        assert_eq!(
            notice("", transcript_only(1)),
            notice("en", transcript_only(1))
        );
    }

    #[test]
    fn every_language_words_every_period_with_the_number_in_ascii_digits() {
        for l in LANGUAGES {
            for n in [0, 1, 2, 3, 5, 7, 11, 21, 22, 36, 101, 120] {
                let periods = Periods {
                    transcript_months: n,
                    details_days: Some(n),
                    receipt_months: Some(n),
                };
                let text = notice(l.code, periods);
                assert!(!text.contains('{'), "{}: {text}", l.code);
                assert_eq!(
                    text.matches(&n.to_string()).count(),
                    3,
                    "{}: {text}",
                    l.code
                );
            }
        }
    }
}
