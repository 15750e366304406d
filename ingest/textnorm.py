"""Text normalisation shared by the index and the query side.

Physicians type "A/P w/ and w/o", "C-spine films", "non-con CT"; guidelines write "abdomen and
pelvis without and with contrast", "X-ray cervical spine", "CT without contrast". Both sides go
through the same rewrite table here, so BM25, the rating-row matcher and the support check all
compare like with like. The table is general clinical shorthand, not tuned to any question set.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from functools import lru_cache
from typing import Any

from nltk.stem.snowball import SnowballStemmer

_STEMMER = SnowballStemmer("english")

_CHAR_MAP = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2212": "-",
        "\u2010": "-",
        "\u2011": "-",
        "\u00ae": "",
        "\u2122": "",
        "\u00d7": " x ",
        "\u2264": " <= ",
        "\u2265": " >= ",
        "\u00a0": " ",
    }
)

# Rewrites applied, in order, to casefolded text. Contrast phrases first (they contain "w/").
_CONTRAST_BOTH = "without and with contrast"
_REWRITES: list[tuple[str, str]] = [
    (r"\bgad(?:olinium)?\b", "contrast"),
    # contrast: both phases
    (
        r"\b(?:with\s+and\s+without|without\s+and\s+with)\s+(?:iv\s+|intravenous\s+)?contrast\b",
        _CONTRAST_BOTH,
    ),
    (r"\bw/?\s*(?:and|&|\+)\s*w/?o\b(?:\s+(?:iv\s+)?contrast\b)?", _CONTRAST_BOTH),
    (r"\bw/?o\s*(?:and|&|\+)\s*w/?\b(?:\s+(?:iv\s+)?contrast\b)?", _CONTRAST_BOTH),
    (r"\bw\s*/\s*wo\b(?:\s+(?:iv\s+)?contrast\b)?", _CONTRAST_BOTH),
    (r"\bw\s*/\s*w/?o\b(?:\s+(?:iv\s+)?contrast\b)?", _CONTRAST_BOTH),
    (r"\b(?:with\s*/\s*without|without\s*/\s*with)\b(?:\s+(?:iv\s+)?contrast\b)?", _CONTRAST_BOTH),
    (r"\bpre-?\s*(?:and|&)\s*post-?\s*contrast\b", _CONTRAST_BOTH),
    (r"\b(?:with\s+and\s+without|without\s+and\s+with)\b", "without and with"),
    # contrast: none
    (r"\bnon-?\s*con(?:trast(?:ed)?)?\b", "without contrast"),
    (r"\b(?:un|non-?)enhanced\b", "without contrast"),
    (r"\bw/?o\s+(?:iv\s+)?contrast\b", "without contrast"),
    (r"\bno\s+(?:iv\s+)?contrast\b", "without contrast"),
    (r"\bwithout\s+(?:iv|intravenous)\s+contrast\b", "without contrast"),
    # contrast: with
    (r"\bcontrast[- ]enhanced\b", "with contrast"),
    (r"\bw/\s*(?:iv\s+)?contrast\b", "with contrast"),
    (r"\bwith\s+(?:iv|intravenous)\s+contrast\b", "with contrast"),
    (r"\bpost-?\s*contrast\b", "with contrast"),
    # generic with / without shorthand
    (r"\bw/o\b", "without"),
    (r"\bw/(?=\s|$)", "with "),
    # body regions
    (r"\bc\s*/\s*a\s*/\s*p\b", "chest abdomen and pelvis"),
    (r"\babd(?:omen)?\s*[/&+-]\s*(?:pelvis|pelv)\b", "abdomen and pelvis"),
    (r"\ba\s*/\s*p\b", "abdomen and pelvis"),
    (r"\bc-?\s*spine\b", "cervical spine"),
    (r"\bt-?\s*spine\b", "thoracic spine"),
    (r"\bl-?\s*s?-?\s*spine\b", "lumbar spine"),
    (r"\bls\s+spine\b", "lumbar spine"),
    # modalities (multi-word before single-word)
    (r"\bct\s+angiogra(?:m|phy|phic)\b", "cta"),
    (r"\bangiograph(?:ic|y)\s+ct\b", "cta"),
    (r"\bmr\s+angiogra(?:m|phy)\b", "mra"),
    (r"\bmagnetic\s+resonance\s+angiogra(?:m|phy)\b", "mra"),
    (r"\bmagnetic\s+resonance\s+(?:imaging|tomography)\b", "mri"),
    (r"\bmagnetic\s+resonance\b", "mri"),
    (r"\bcomputed\s+(?:axial\s+)?tomograph(?:y|ic)\b", "ct"),
    (r"\b(?:cat|ct)\s+scan\b", "ct"),
    (r"\bmri\s+scan\b", "mri"),
    (r"\bmr\b", "mri"),
    (r"\bpet\s*[/-]\s*ct\b", "pet ct"),
    (r"\bpet\s*[/-]\s*mri\b", "pet mri"),
    (r"\bfdg-pet\b", "fdg pet"),
    (r"\btc-?\s*99m\b", "tc99m"),
    (r"\bplain\s+(?:film|radiograph)s?\b", "xray"),
    (r"\bx-?\s*rays?\b", "xray"),
    (r"\bradiograph(?:s|y|ic)?\b", "xray"),
    (r"\bfilms?\b", "xray"),
    (r"\bcxr\b", "xray chest"),
    (r"\bkub\b", "xray abdomen"),
    (r"\bultrasonograph(?:y|ic)\b", "us"),
    (r"\bultrasounds?\b", "us"),
    (r"\bsonograph(?:y|ic)\b", "us"),
    (r"\bsonograms?\b", "us"),
    (r"\bsono\b", "us"),
    (r"\btvus\b", "transvaginal us"),
    (r"\btrus\b", "transrectal us"),
    (r"\bangiograms?\b", "angiography"),
    (
        r"\b(ducto|reno|cysto|urethro|sialo|cholangio|pyelo|hysterosalpingo|fistulo|defeco|lymphangio|dacryocysto|uro|"
        r"cavo|porto|aorto|spleno|galacto)grams?\b",
        r"\1graphy",
    ),
    (r"\bcaptopril\b", "captopril ace-inhibitor"),
    (r"\bperc\b", "percutaneous"),
    (r"\barteriograms?\b", "arteriography"),
    (r"\barthrograms?\b", "arthrography"),
    (r"\bvenograms?\b", "venography"),
    (r"\bmyelograms?\b", "myelography"),
    (r"\bmammograms?\b", "mammography"),
    (r"\bmammo\b", "mammography"),
    (r"\bechocardiograms?\b", "echocardiography"),
    (r"\becho\b", "echocardiography"),
    (r"\bugi\b", "upper gi series"),
    (r"\bhsg\b", "hysterosalpingography"),
    (r"\bctpa\b", "cta chest"),
    (r"\baxr\b", "xray abdomen"),
    (r"\begd\b", "upper endoscopy"),
    (r"\bfna\b", "fine-needle aspiration"),
    (r"\bhida\b", "cholescintigraphy"),
    (r"\bbone\s+scintigraphy\b", "bone scan"),
    (r"\bdexa\b", "dxa"),
    # procedures of the spine / pain domain
    (r"\brfa\b", "radiofrequency ablation"),
    (r"\brf\s+ablation\b", "radiofrequency ablation"),
    (r"\brf\b", "radiofrequency"),
    (r"\bmbbs?\b", "medial branch block"),
    (r"\btfesi\b", "transforaminal epidural steroid injection"),
    (r"\bilesi\b", "interlaminar epidural steroid injection"),
    (r"\besis?\b", "epidural steroid injection"),
    (r"\bscs\b", "spinal cord stimulation"),
    (r"\bsij\b", "sacroiliac joint"),
    (r"\bsi\s+joint\b", "sacroiliac joint"),
    (r"\bvcfs?\b", "vertebral compression fracture"),
    (r"\b(kyphoplasty|vertebroplasty)\b", r"\1 vertebral augmentation"),
    (r"\bacdf\b", "anterior cervical discectomy and fusion"),
    (r"\bnsaids?\b", "nonsteroidal anti-inflammatory drug"),
    # more modality / procedure shorthand
    (r"\btte\b", "transthoracic echocardiography"),
    (r"\btee\b", "transesophageal echocardiography"),
    (r"\bvcug\b", "voiding cystourethrography"),
    (r"\bivp\b", "intravenous urography"),
    (r"\bercp\b", "endoscopic retrograde cholangiopancreatography"),
    (r"\bmrcp\b", "mrcp mri cholangiopancreatography"),
    (r"\bnm\b", "nuclear medicine"),
    (r"\bv\s*/\s*q\b", "ventilation perfusion"),
    (r"\btagged\s+rbc\b", "rbc"),
    (r"\bsbft\b", "small bowel follow-through"),
    (r"\bbe\b(?=\s+(?:study|exam)|\?|$)", "barium enema"),
    (r"\beus\b", "endoscopic us"),
    (r"\bivu\b", "intravenous urography"),
    (r"\b(?:whole|entire|total)\s+spine\b", "complete spine"),
    (r"\bpre-?op(?:erative)?\b", "preoperative"),
    (r"\bpost-?op(?:erative)?\b", "postoperative"),
    (r"\bpreoperatively\b", "preoperative"),
    (r"\bpostoperatively\b", "postoperative"),
    # oncology and radiation-therapy shorthand
    (r"\bebrt\b", "external beam radiation therapy"),
    (r"\bradiotherapy\b", "radiation therapy"),
    (r"\bsbrt\b", "stereotactic body radiation therapy"),
    (r"\bsrs\b", "stereotactic radiosurgery"),
    (r"\bimrt\b", "intensity-modulated radiation therapy"),
    (r"\bwbrt\b", "whole brain radiation therapy"),
    (r"\bapbi\b", "accelerated partial breast irradiation"),
    (r"\bpbi\b", "partial breast irradiation"),
    (r"\bwbi\b", "whole breast irradiation"),
    (r"\bbrachy\b", "brachytherapy"),
    (r"\bchemo-?rt\b", "chemoradiation"),
    (r"\bcrt\b", "chemoradiation"),
    (r"\bchemoradiotherapy\b", "chemoradiation"),
    (r"\badt\b", "androgen deprivation"),
    (r"\bandrogen\s+(?:deprivation|ablation)(?:\s+therapy)?\b", "androgen ablation"),
    (r"\bmmc\b", "mitomycin"),
    (r"\bmitomycin-?c\b", "mitomycin"),
    (r"\b5-?fu\b", "fluorouracil"),
    (r"\bhl\b", "hodgkin lymphoma"),
    (r"\bnhl\b", "non-hodgkin lymphoma"),
    (r"\bscc\b", "squamous cell cancer"),
    (r"\btcc\b", "transitional cell cancer"),
    (r"\badenoca\b", "adenocarcinoma"),
    (r"\bbsc\b", "best supportive care"),
    (r"\bw/?u\b", "workup"),
    (r"\bdre\b", "digital rectal examination"),
    (r"\bnst\b", "nonstress test"),
    (r"\bbpp\b", "biophysical profile"),
    (r"\bmtp\b", "metatarsophalangeal"),
    (r"\bdjd\b", "degenerative joint disease"),
    (r"\bpna\b", "pneumonia"),
    (r"\bn\s*/\s*v\b", "nausea and vomiting"),
    (r"\bcp\b(?=\s|,|$)", "chest pain"),
    # clinical shorthand
    (r"\bnsclc\b", "non-small-cell lung cancer"),
    (r"\bsclc\b", "small-cell lung cancer"),
    (r"\bhcc\b", "hepatocellular carcinoma"),
    (r"\brcc\b", "renal cell carcinoma"),
    (r"\bcrc\b", "colorectal cancer"),
    (r"\bcarcinomas?\b", "cancer"),
    (r"\bmalignanc(?:y|ies)\b", "cancer"),
    (r"\bsnhl\b", "sensorineural hearing loss"),
    (r"\bgca\b", "giant cell arteritis"),
    (r"\bchl\b", "conductive hearing loss"),
    (r"\bnat\b", "nonaccidental trauma"),
    (r"\bhnpcc\b", "hereditary nonpolyposis colorectal cancer lynch syndrome"),
    (r"\bfap\b", "familial adenomatous polyposis"),
    (r"\bcryo(?:ablation)?\b", "cryotherapy"),
    (r"\bocd\b", "osteochondral osteochondritis dissecans"),
    (r"\bc\s*/\s*w\b", "consistent with"),
    (r"\bsuspicio(?:n|us)\s+(?:of|for)\b", "suspected"),
    (r"\bnai\b", "nonaccidental injury"),
    (r"\bfb\b", "foreign body"),
    (r"\bh\s*&\s*p\b", "history and physical examination"),
    (r"\bhpi\b", "history of present illness"),
    (r"\bpmh\b", "past medical history"),
    (r"\bnh\b", "nursing home"),
    (r"\bicu\b", "icu intensive care unit"),
    (r"\bed\b(?=\s|$)(?!\s+(?:by|to|with))", "emergency department"),
    (r"\ber\b", "emergency department"),
    (r"\bdemented\b", "dementia"),
    (r"\bfoosh\b", "fall on outstretched hand"),
    (r"\bloc\b", "loss of consciousness"),
    (r"\bgcs\b", "glasgow coma scale"),
    (r"\bmva\b", "motor vehicle collision"),
    (r"\bmvc\b", "motor vehicle collision"),
    (r"\bsirs\b", "systemic inflammatory response syndrome"),
    (r"\bafib\b", "atrial fibrillation"),
    (r"\ba-?fib\b", "atrial fibrillation"),
    (r"\bmi\b", "myocardial infarction"),
    (r"\bacs\b", "acute coronary syndrome"),
    (r"\btia\b", "transient ischemic attack"),
    (r"\bcva\b", "stroke"),
    (r"\bcerebrovascular accident\b", "stroke"),
    (r"\bms\b(?=\s+(?:patient|pt|flare|relapse|lesion|plaque))", "multiple sclerosis"),
    (r"\bpid\b", "pelvic inflammatory disease"),
    (r"\bibd\b", "inflammatory bowel disease"),
    (r"\bgerd\b", "gastroesophageal reflux disease"),
    (r"\bgib\b", "gi bleeding"),
    (r"\bugib\b", "upper gi bleeding"),
    (r"\blgib\b", "lower gi bleeding"),
    (r"\bbrbpr\b", "bright red blood per rectum hematochezia"),
    (r"\bhtn\b", "hypertension"),
    (r"\bckd\b", "chronic kidney disease"),
    (r"\baki\b", "acute kidney injury"),
    (r"\besrd\b", "end-stage renal disease"),
    (r"\begfr\b", "gfr"),
    (r"\bdm\b", "diabetes"),
    (r"\bt2dm\b", "type 2 diabetes"),
    (r"\bra\b(?=\s|$)", "rheumatoid arthritis"),
    (r"\boa\b", "osteoarthritis"),
    (r"\bspa\b", "spondyloarthritis"),
    (r"\bspondyloarthropath(?:y|ies)\b", "spondyloarthritis"),
    (r"\bacl\b", "anterior cruciate ligament"),
    (r"\bmcl\b", "medial collateral ligament"),
    (r"\btka\b", "total knee arthroplasty"),
    (r"\btha\b", "total hip arthroplasty"),
    (r"\bavn\b", "avascular necrosis osteonecrosis"),
    (r"\bddh\b", "developmental dysplasia of the hip"),
    (r"\bscfe\b", "slipped capital femoral epiphysis"),
    (r"\bbph\b", "benign prostatic hyperplasia"),
    (r"\bpsa\b", "psa prostate-specific antigen"),
    (r"\bhcg\b", "hcg"),
    (r"\bβ-?hcg\b", "hcg"),
    (r"\blmp\b", "last menstrual period"),
    (r"\biud\b", "intrauterine device"),
    (r"\bivf\b", "in vitro fertilization"),
    (r"\bga\b(?=\s+\d)", "gestational age"),
    (r"\bwbc\b", "wbc"),
    (r"\bhgb\b", "hemoglobin"),
    (r"\bplt\b", "platelet"),
    (r"\blfts?\b", "liver function tests"),
    (r"\bcsf\b", "cerebrospinal fluid"),
    (r"\bsvc\b", "superior vena cava"),
    (r"\bpvd\b", "peripheral arterial disease"),
    (r"\bpad\b", "peripheral arterial disease"),
    (r"\bcabg\b", "coronary artery bypass graft"),
    (r"\bpci\b", "percutaneous coronary intervention"),
    (r"\bchemo\b", "chemotherapy"),
    (r"\brads?\b", "radiation"),
    (r"\bxrt\b", "radiation therapy"),
    (r"\brt\b(?=\s|$)", "radiation therapy"),
    (r"\babx\b", "antibiotics"),
    (r"\bsxs?\b", "symptoms"),
    (r"\basx\b", "asymptomatic"),
    (r"\bsx\b", "symptoms"),
    (r"\bhr\b(?=\s+\d)", "heart rate"),
    (r"\bbp\b", "blood pressure"),
    (r"\bsats?\b", "oxygen saturation"),
    (r"\bpo\b", "oral"),
    (r"\bivdu\b", "intravenous drug use"),
    (r"\bivda\b", "intravenous drug use"),
    (r"\bimmunocompromised\b", "immunosuppressed"),
    (r"\bimmunosuppression\b", "immunosuppressed"),
    (r"\bnothing\b", "no"),
    (r"\bunremarkable\b", "negative"),
    (r"\bunrevealing\b", "negative"),
    (r"\bnondiagnostic\b", "negative"),
    (r"(?<![a-z0-9\s])\+(?=[a-z])|(?<=\s)\+(?=[a-z])", "positive "),
    (r"\s\+\s", " plus "),
    (r"(?:(?<=\s)|^)\?\s*(?=[a-z])", "suspected "),
    (r"\bneuro\b", "neurologic"),
    (r"\bneurological\b", "neurologic"),
    (r"\bmets\b", "metastases"),
    (r"\bh/o\b", "history of"),
    (r"\bhx\b", "history"),
    (r"\bs/p\b", "status post"),
    (r"\bf/u\b", "follow-up"),
    (r"\bfollow\s+up\b", "follow-up"),
    (r"\bfollowup\b", "follow-up"),
    (r"\br/o\b", "rule out"),
    (r"\by/?o\b", "year old"),
    (r"\byrs?\b", "year"),
    (r"\bmos?\b", "month"),
    (r"\bwks?\b", "week"),
    (r"\bhrs?\b", "hour"),
    (r"\bmins?\b", "minute"),
    (r"\bpts?\b", "patient"),
    (r"\bfxs?\b", "fracture"),
    (r"\bsxs?\b", "symptoms"),
    (r"\btx\b", "treatment"),
    (r"\bdx\b", "diagnosis"),
    (r"\bddx\b", "differential diagnosis"),
    (r"\bbx\b", "biopsy"),
    (r"\bca\b", "cancer"),
    (r"\bsbo\b", "small bowel obstruction"),
    (r"\baaa\b", "abdominal aortic aneurysm"),
    (r"\bpe\b", "pulmonary embolism"),
    (r"\bdvt\b", "deep vein thrombosis"),
    (r"\buti\b", "urinary tract infection"),
    (r"\bruq\b", "right upper quadrant"),
    (r"\bluq\b", "left upper quadrant"),
    (r"\brlq\b", "right lower quadrant"),
    (r"\bllq\b", "left lower quadrant"),
    (r"\blbp\b", "low back pain"),
    (r"\btbi\b", "traumatic brain injury"),
    (r"\bsah\b", "subarachnoid hemorrhage"),
    (r"\bich\b", "intracranial hemorrhage"),
    (r"\bloc\b", "loss of consciousness"),
    (r"\bsob\b", "shortness of breath"),
    (r"\bhtn\b", "hypertension"),
    (r"\bchf\b", "heart failure"),
    (r"\bcopd\b", "chronic obstructive pulmonary disease"),
    (r"\bcad\b", "coronary artery disease"),
    (r"\bcbd\b", "common bile duct"),
    (r"\bivc\b", "inferior vena cava"),
    (r"\bue\b", "upper extremity"),
    (r"\blegs?\b", "lower extremity"),
    (r"\barms?\b", "upper extremity"),
    (r"\bapr\b", "abdominoperineal resection"),
    (r"\blar\b", "low anterior resection"),
    (r"\btme\b", "total mesorectal excision"),
    (r"\ble\b", "lower extremity"),
    (r"\bbilat\b", "bilateral"),
    (r"\bneg\b", "negative"),
    (r"\bpos\b", "positive"),
    (r"\bnml\b", "normal"),
    (r"\babnl\b", "abnormal"),
    (r"\babd\b", "abdomen"),
    (r"\babdominal\b", "abdomen"),
    (r"\bpelvic\b", "pelvis"),
    (r"\bthoracic\b", "thoracic"),
    (r"\bbrain\b", "head"),
    (r"\bskull\b", "head"),
    (r"\bscrotal\b", "scrotum"),
    (r"\bhepatic\b", "liver"),
    (r"\brenal\b", "kidney"),
    (r"\bcardiac\b", "heart"),
    (r"\bosseous\b", "bone"),
    (r"\bcranial\b", "cranial"),
]
# Comparators become words so "Child <=24 months" and "Child >24 months" stay different terms.
_REWRITES += [(r"<=", " lte "), (r">=", " gte "), (r"<", " lt "), (r">", " gt ")]
_SIMPLE_RULE = re.compile(r"^\\b([a-z0-9]+)(s\?)?\\b$")


_LITERAL_START = re.compile(r"^\\b([a-z0-9]{2,})")


def _trigger(pattern: str) -> str:
    """A literal every match of the pattern contains (its leading word), or "" when there is none.

    Checking ``trigger in text`` first skips most rules for most texts at the cost of a substring test.
    """
    m = _LITERAL_START.match(pattern)
    if not m:
        return ""
    literal = m.group(1)
    rest = pattern[m.end() :]
    if rest[:1] in ("?", "*", "{", "|") or rest[:1] == ")" or "|" in pattern[: m.end()]:
        return ""  # the last letter is optional or the pattern is an alternation: no safe literal
    return literal


def _compile(rules: list[tuple[str, str]]) -> list[tuple[re.Pattern[str], Any, str]]:
    """Compile the rewrite table, merging each run of plain-word rules into one alternation.

    Same output as applying the rules one by one on clinical text, in about a third of the regex
    passes: normalisation sits on the answer path.
    """
    compiled: list[tuple[re.Pattern[str], Any, str]] = []
    run: dict[str, str] = {}
    plain = [(re.compile(p), r) for p, r in rules]

    def rest_applied(index: int, text: str) -> str:
        # A merged rule's replacement goes through every later rule now, so chains such as
        # "tbi" -> "traumatic brain injury" -> "traumatic head injury" still complete in one pass.
        for pattern, repl in plain[index + 1 :]:
            text = pattern.sub(repl, text)
        return text

    def close_run() -> None:
        if run:
            words = sorted(run, key=len, reverse=True)
            table = dict(run)
            compiled.append((re.compile(r"\b(?:" + "|".join(words) + r")\b"), lambda m: table[m.group(0)], ""))
            run.clear()

    for index, (pattern, repl) in enumerate(rules):
        m = _SIMPLE_RULE.match(pattern)
        if m and "\\" not in repl:
            word = m.group(1)
            for form in (word, word + "s") if m.group(2) else (word,):
                run.setdefault(form, rest_applied(index, repl))
            continue
        close_run()
        compiled.append((re.compile(pattern), repl, _trigger(pattern)))
    close_run()
    return compiled


_COMPILED = _compile(_REWRITES)
# Changes to the rewrite table change every indexed term: ingest re-processes when this changes.
RULES_DIGEST = hashlib.sha1(repr(_REWRITES).encode()).hexdigest()[:12]

STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "been",
        "being",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "for",
        "from",
        "had",
        "has",
        "have",
        "he",
        "her",
        "his",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "me",
        "my",
        "of",
        "on",
        "or",
        "our",
        "she",
        "should",
        "so",
        "than",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "to",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "also",
        "any",
        "each",
        "other",
        "such",
        "via",
        "per",
        "vs",
        "versus",
    ]
)
# Negation cues must never be dropped: "with" vs "without" decides a rating row.
NEGATIONS = frozenset({"no", "not", "without", "never", "none", "non", "absent", "negative", "denies"})

_TOKEN_RE = re.compile(r"[a-z0-9]+(?:\.[0-9]+)?")


def normalize(text: str) -> str:
    """Unicode-normalise and casefold, mapping typographic dashes, quotes and symbols to ASCII."""
    text = unicodedata.normalize("NFKC", text).translate(_CHAR_MAP)
    return re.sub(r"\s+", " ", text.casefold()).strip()


@lru_cache(maxsize=200000)
def expand(text: str) -> str:
    """Normalised text with clinical shorthand rewritten to the canonical words used for matching."""
    out = normalize(text)
    for pattern, repl, trigger in _COMPILED:
        if trigger and trigger not in out:
            continue
        out = pattern.sub(repl, out)
    return re.sub(r"\s+", " ", out).strip()


@lru_cache(maxsize=200000)
def stem(token: str) -> str:
    """Snowball stem, leaving numbers and short tokens alone."""
    if len(token) <= 3 or token[0].isdigit():
        return token
    return _STEMMER.stem(token)


def raw_tokens(text: str) -> list[str]:
    """Tokens of normalised text, no rewriting, no stemming (used by the support check)."""
    return _TOKEN_RE.findall(normalize(text))


def terms(text: str, *, keep_stopwords: bool = False) -> list[str]:
    """Canonical, stemmed terms: what BM25 indexes and what matchers compare."""
    toks = _TOKEN_RE.findall(expand(text))
    return [stem(t) for t in toks if keep_stopwords or t not in STOPWORDS or t in NEGATIONS]


def numbers(text: str) -> list[float]:
    """Every number written in the text, in order."""
    return [float(x) for x in re.findall(r"\d+(?:\.\d+)?", normalize(text))]
