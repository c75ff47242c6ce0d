"""Kruti Dev 010, Walkman Chanakya 905 and Chanakya codes decoded to Unicode: against words
read off real documents, other converters' vectors, Hindi encoded by another converter
(hinlegacy), and Hindi typed in Chanakya as another converter (krutiextract) reads it."""

import re
import unicodedata

import krutiextract
import pytest

from audiobooks.extraction.legacy_fonts import CHANAKYA, KRUTI_DEV, WALKMAN_CHANAKYA, encoding_of
from tests.support.legacy_font import WALKMAN_CHANAKYA_FONT, chanakya_encode, encode
from tests.support.prose import HINDI_PARAGRAPHS, MARATHI_PARAGRAPHS

# Word pairs from krutiextract's tests (tests/corpus.py, MIT licence): letters with every
# vowel sign, common words, conjuncts, the t-ra family, the reph, nukta, digits.
KRUTIEXTRACT_PAIRS = [
    ("vk", "आ"), ("bZ", "ई"), (",s", "ऐ"), ("vks", "ओ"), ("vkS", "औ"), ("v‚", "ऑ"), ("_", "ऋ"),
    ("[kk", "खा"), ("?kk", "घा"), (".kk", "णा"), ("Fkk", "था"), ("/kk", "धा"), ("'kk", "शा"),
    ('"kk', "षा"), ("fd", "कि"), ("dh", "की"), ("dq", "कु"), ("dw", "कू"), ("d`", "कृ"),
    ("ds", "के"), ("dS", "कै"), ("dks", "को"), ("dkS", "कौ"), ("da", "कं"), ("d¡", "कँ"),
    ("d%", "कः"), ("d‚", "कॉ"), ("vkSj", "और"), ("gSa", "हैं"), ("ugha", "नहीं"), (";g", "यह"),
    ("ns'k", "देश"), ("fnYyh", "दिल्ली"), ("i`Foh", "पृथ्वी"), ("LokLF;", "स्वास्थ्य"),
    ("fo|ky;", "विद्यालय"), ("vf/drj", "अध्कितर"), ("{ks=", "क्षेत्र"), ("f'k{kk", "शिक्षा"),
    ("Kku", "ज्ञान"), ("O;fDr", "व्यक्ति"), ("fo'ks\"k", "विशेष"), ("iz'u", "प्रश्न"), ("}kj", "द्वार"),
    ("mRiknu", "उत्पादन"), ("la[;k", "संख्या"), ("fLFkfr", "स्थिति"), ("pfj=", "चरित्र"),
    ("jk\"Vª", "राष्ट्र"), ("=qfV", "त्रुटि"), ("f=dks.k", "त्रिकोण"), ("=kk.k", "त्राण"),
    ("Nk=k", "छात्रा"), ("ea=h", "मंत्री"), ("dk;Z", "कार्य"), ("ppkZ", "चर्चा"),
    ("fuekZ.k", "निर्माण"), ("lEiw.kZ", "सम्पूर्ण"), ("i;kZoj.k", "पर्यावरण"), ("/keZ", "धर्म"),
    ("vkn'kZ", "आदर्श"), ("d+e", "क़म"), ("t+:jh", "ज़रूरी"), ("Q+t+Z", "फ़र्ज़"), ("åƒ„", "०१२"),
    ("ukeA", "नाम।"), ("d][k", "क,ख"),
]  # fmt: skip


# Words of a real NCERT textbook set in Walkman Chanakya 905 (jhss101.pdf, page 3), as its
# text layer holds them and as its page shows them: krutiextract's tests/corpus_walkman.py.
NCERT_WALKMAN_PAIRS = [
    ("dh", "की"), ("vR;fèkd", "अत्यधिक"), ("deh", "कमी"), ("gSA", "है।"),
    ("mnkgj.kkFkZ", "उदाहरणार्थ"), (">kj[kaM", "झारखंड"), ("eè;izns'k", "मध्यप्रदेश"),
    ("vkSj", "और"), ("NÙkhlx<+", "छत्तीसगढ़"), ("vkfn", "आदि"),
    ("izkarksa", "प्रांतों"), ("esa", "में"), ("[kfutksa", "खनिजों"),
    ("dks;ys", "कोयले"), ("osQ", "के"), ("izpqj", "प्रचुर"), ("HkaMkj", "भंडार"),
    ("gSaA", "हैं।"), ("v#.kkpy", "अरुणाचल"), ("izns'k", "प्रदेश"), ("ty", "जल"),
    ("lalkèku", "संसाधन"), ("ek=kk", "मात्रा"), ("ik,", "पाए"), ("tkrs", "जाते"),
    ("ijarq", "परंतु"), ("ewy", "मूल"), ("fodkl", "विकास"),
    ("jktLFkku", "राजस्थान"), ("iou", "पवन"), ("lkSj", "सौर"),
    ("mQtkZ", "ऊर्जा"), ("lalkèkuksa", "संसाधनों"), ("cgqrk;r", "बहुतायत"),
    ("ysfdu", "लेकिन"), ("yík[k", "लद्दाख"), ("dk", "का"), ("'khr", "शीत"),
    ("e#LFky", "मरुस्थल"), ("ns'k", "देश"), ("vU;", "अन्य"), ("Hkkxksa", "भागों"),
    ("ls", "से"), ("vyx&Fkyx", "अलग-थलग"), ("iM+rk", "पड़ता"), (";g", "यह"),
    ("lkaLÑfrd", "सांस्कृतिक"), ("fojklr", "विरासत"), ("èkuh", "धनी"),
    ("gS", "है"), (";gk¡", "यहाँ"), ("vkèkkjHkwr", "आधारभूत"),
    ("volajpuk", "अवसंरचना"), ("rFkk", "तथा"), ("oqQN", "कुछ"),
    ("egÙoiw.kZ", "महत्त्वपूर्ण"), ("blfy,", "इसलिए"), ("jk\"Vªh;", "राष्ट्रीय"),
    ("izkarh;", "प्रांतीय"), ("izknsf'kd", "प्रादेशिक"), ("LFkkuh;", "स्थानीय"),
    ("Lrj", "स्तर"), ("ij", "पर"), ("larqfyr", "संतुलित"), ("fu;kstu", "नियोजन"),
    ("vko';drk", "आवश्यकता"), ("miyCèkrk", "उपलब्धता"), ("gh", "ही"),
    ("laHko", "संभव"), ("ugha", "नहीं"), ("cgqr", "बहुत"), ("{ks=k", "क्षेत्र"),
    ("tks", "जो"), ("le`¼", "समृद्ध"), ("gksrs", "होते"), ("gq,", "हुए"),
    ("Hkh", "भी"), ("vkfFkZd", "आर्थिक"), (":i", "रूप"), ("fiNM+s", "पिछड़े"),
    ("izns'kksa", "प्रदेशों"), ("fxurh", "गिनती"), ("vkrs", "आते"),
    ("blosQ", "इसके"), ("foijhr", "विपरीत"), (",sls", "ऐसे"),
    ("fodflr", "विकसित"), ("D;k", "क्या"), ("vki", "आप"), ("laiUu", "संपन्न"),
    ("rs”k", "तेज़"), ("vaxzs”kh", "अंग्रेज़ी"), ("”;knk", "ज़्यादा"), ("feêðh", "मिट्टी"),
    ("ifêð;ksa", "पट्टियों"), ("C;wVhI+kqQy", "ब्यूटीफुल"), ("lqy>k,¡_", "सुलझाएँ;"),
    ("laca/", "संबंध"), ("ikS/ksa", "पौधों"), ("vkWiQ", "ऑफ"), ("v/Z", "अर्ध"),
]  # fmt: skip


@pytest.mark.parametrize(("codes", "unicode"), NCERT_WALKMAN_PAIRS)
def test_walkman_chanakya_codes_decode_as_the_printed_page_reads(codes, unicode):
    assert WALKMAN_CHANAKYA.decode(codes) == unicodedata.normalize("NFC", unicode)


# Words of a real 216-page Rajasthan history set in Chanakya, as its text layer holds them
# (Windows-1252) and as its page shows them: krutiextract's tests/corpus_chanakya.py.
RAJASTHAN_CHANAKYA_PAIRS = [
    ("ÚUæÁSÍæÙ", "राजस्थान"), ("âæ×æ‹Ø", "सामान्य"), ("™ææÙ", "ज्ञान"), ("·ð¤", "के"), ("çÜ°", "लिए"),
    ("¥æÁ", "आज"), ("ãUè", "ही"), ("ÚUæßÜ", "रावल"), ("ß¢àæ", "वंश"), ("×ãæÎðß", "महादेव"),
    ("çßÁØ", "विजय"), ("·¤æÜ", "काल"), ("ÖæðÁ", "भोज"), ("çÂÌæ", "पिता"), ("ÙæÍ", "नाथ"),
    ("ÚUæÁæ", "राजा"), ("×¢çÎÚU", "मंदिर"), ("çÙ×æü‡æ", "निर्माण"), ("â¢SÍæÂ·¤", "संस्थापक"),
    ("©UÎØÂéÚU", "उदयपुर"), ("ãUˆØæ", "हत्या"), ("Ö»ßæÙ", "भगवान"), ("ÿæð˜æ", "क्षेत्र"), ("ÂýÎðàæ", "प्रदेश"),
]  # fmt: skip
# krutiextract moves ि past one letter only (a cluster of three it reads wrongly), and takes
# a nukta typed after े for the nukta of the letter before, not of the letter after.
KRUTIEXTRACT_MISREADS = {"स्त्रियाँ", "अंग्रेज़ी", "भेड़-बकरियों", "तेज़ी"}


@pytest.mark.parametrize(("codes", "unicode"), RAJASTHAN_CHANAKYA_PAIRS)
def test_chanakya_codes_decode_as_the_printed_page_reads(codes, unicode):
    assert CHANAKYA.decode(codes) == unicodedata.normalize("NFC", unicode)


@pytest.mark.parametrize(
    ("codes", "unicode"),
    [
        pytest.param("¸ÁÚUæ", "ज़रा", id="nukta-typed-before-its-letter"),
        pytest.param("Á¸ÚUæ", "ज़रा", id="nukta-typed-after-its-letter-before-ra"),
        pytest.param("Öð¸Ç", "भेड़", id="nukta-before-its-letter-after-e"),
        pytest.param("Áð¸", "ज़े", id="nukta-after-e-of-its-letter"),
    ],
)
def test_a_chanakya_nukta_goes_with_its_letter_before_or_after_it(codes, unicode):
    assert CHANAKYA.decode(codes) == unicodedata.normalize("NFC", unicode)


@pytest.mark.parametrize("paragraph", HINDI_PARAGRAPHS + MARATHI_PARAGRAPHS)
def test_hindi_typed_in_chanakya_decodes_as_krutiextract_reads_it(paragraph):
    codes = chanakya_encode(paragraph)
    theirs = unicodedata.normalize("NFC", krutiextract.chanakya_to_unicode(codes)).split()

    assert CHANAKYA.decode(codes) == paragraph
    disagreed = {ours for ours, their in zip(paragraph.split(), theirs, strict=True) if ours != their}
    assert disagreed <= KRUTIEXTRACT_MISREADS


@pytest.mark.parametrize(("codes", "unicode"), KRUTIEXTRACT_PAIRS)
def test_codes_decode_as_another_converters_vectors_say(codes, unicode):
    assert KRUTI_DEV.decode(codes) == unicodedata.normalize("NFC", unicode)


@pytest.mark.parametrize(
    ("codes", "unicode"),
    [
        pytest.param("dhfrZ", "कीर्ति", id="reph-on-a-syllable-with-short-i"),
        pytest.param("dk;kZy;", "कार्यालय", id="reph-after-the-vowel-sign-of-its-syllable"),
        pytest.param("fLFk", "स्थि", id="short-i-before-a-conjunct-of-half-letters"),
        pytest.param("jke ksZ", "राम ो", id="a-reph-never-reaches-across-a-space"),
        pytest.param("ckofM+;ksa", "बावड़ियों", id="short-i-before-a-nukta-letter"),
        pytest.param("dsl 123@2019", "केस 123/2019", id="ascii-digits-kept"),
        pytest.param("[+kcj f[+k", "ख़बर ख़ि", id="nukta-typed-before-the-stem"),
        pytest.param("MkW- dkWyst", "डॉ. कॉलेज", id="stem-and-candra-for-o-candra"),
        pytest.param("eaqcbZ", "मुंबई", id="anusvara-typed-before-the-u-sign"),
        pytest.param("vkW", "ऑ", id="a-stem-and-candra-for-o-candra"),
    ],
)
def test_signs_typed_out_of_order_are_put_where_unicode_has_them(codes, unicode):
    assert KRUTI_DEV.decode(codes) == unicode


@pytest.mark.parametrize("paragraph", HINDI_PARAGRAPHS + MARATHI_PARAGRAPHS)
def test_hindi_and_marathi_encoded_by_hinlegacy_come_back_exactly(paragraph):
    assert KRUTI_DEV.decode(encode(paragraph)) == paragraph


def smart_quotes(codes: str) -> str:
    """The codes as Word's AutoCorrect leaves them: `'` and `"` curled, opening ones at a
    word's start."""
    curled = re.sub(r"(?<!\S)'", "‘", codes).replace("'", "’")
    return re.sub(r'(?<!\S)"', "“", curled).replace('"', "”")


@pytest.mark.parametrize("paragraph", HINDI_PARAGRAPHS + MARATHI_PARAGRAPHS)
def test_kruti_dev_typed_in_word_with_smart_quotes_comes_back_exactly(paragraph):
    codes = smart_quotes(encode(paragraph))

    assert KRUTI_DEV.decode(codes) == paragraph


@pytest.mark.parametrize(
    ("codes", "unicode"),
    [
        pytest.param("‘jke’ us dgk", "‘राम’ ने कहा", id="quotes-around-a-word"),
        pytest.param("“vkt”] mlus", "“आज”, उसने", id="double-quotes-before-a-comma"),
        pytest.param("ns’k", "देश", id="sha-inside-a-word"),
        pytest.param("‘kkfUr", "शान्ति", id="sha-at-a-words-start"),
        pytest.param("jk”Vª", "राष्ट्र", id="ssa-inside-a-word"),
    ],
)
def test_a_curly_quote_is_a_letter_inside_a_word_and_a_quote_around_one(codes, unicode):
    assert KRUTI_DEV.decode(codes) == unicode


def test_a_font_is_taken_as_a_legacy_encoding_by_its_name_or_by_its_codes():
    codes = encode(" ".join(HINDI_PARAGRAPHS[:2]))
    walkman_codes = WALKMAN_CHANAKYA_FONT.encode(" ".join(HINDI_PARAGRAPHS[:2]))
    english = "It was the best of times, it was the worst of times, it was the age of wisdom " * 3

    assert encoding_of("ABCDEF+KrutiDev010", "") is KRUTI_DEV
    assert encoding_of("DevLys010", "") is KRUTI_DEV
    assert encoding_of("F1", codes) is KRUTI_DEV
    assert encoding_of("F1", english) is None
    assert encoding_of("ABCDEF+WalkmanChanakya905Normal", "") is WALKMAN_CHANAKYA
    assert encoding_of("Chanakya 905", "") is WALKMAN_CHANAKYA
    assert encoding_of("F1", walkman_codes) is WALKMAN_CHANAKYA  # के typed as `osQ`
    assert encoding_of("ABCDEF+Chanakya", "") is CHANAKYA
    assert encoding_of("Chanakya901Normal", "") is WALKMAN_CHANAKYA  # Walkman's, without its maker
    assert encoding_of("F1", chanakya_encode(" ".join(HINDI_PARAGRAPHS[:2]))) is CHANAKYA
    assert encoding_of("Shusha", codes) is None  # another legacy font: its codes mean other letters
    assert encoding_of("AkrutiDevPriya", codes) is None
