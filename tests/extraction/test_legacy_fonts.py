"""Kruti Dev 010 codes decoded to Unicode: against other converters' vectors and Hindi
encoded by another converter (hinlegacy)."""

import unicodedata

import pytest

from audiobooks.extraction.legacy_fonts import KRUTI_DEV, encoding_of
from tests.support.legacy_font import encode
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
    ],
)
def test_signs_typed_out_of_order_are_put_where_unicode_has_them(codes, unicode):
    assert KRUTI_DEV.decode(codes) == unicode


@pytest.mark.parametrize("paragraph", HINDI_PARAGRAPHS + MARATHI_PARAGRAPHS)
def test_hindi_and_marathi_encoded_by_hinlegacy_come_back_exactly(paragraph):
    assert KRUTI_DEV.decode(encode(paragraph)) == paragraph


def test_a_font_is_taken_as_kruti_dev_by_its_name_or_by_its_codes():
    codes = encode(" ".join(HINDI_PARAGRAPHS[:2]))
    english = "It was the best of times, it was the worst of times, it was the age of wisdom " * 3

    assert encoding_of("ABCDEF+KrutiDev010", "") is KRUTI_DEV
    assert encoding_of("DevLys010", "") is KRUTI_DEV
    assert encoding_of("F1", codes) is KRUTI_DEV
    assert encoding_of("F1", english) is None
    assert encoding_of("Chanakya", codes) is None  # another legacy font: its codes mean other letters
    assert encoding_of("AkrutiDevPriya", codes) is None
