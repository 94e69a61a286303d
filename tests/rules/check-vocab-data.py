#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""
The vocabulary's data is coherent, checked without the C loader: every
canonical marker of the gold corpus is in markers.yaml; grammars, routes and
keys are known; every language file has every word class of vocab.h; a phrase
sits in one concept only and every concept is one of en.yaml's; every word a
rule looks for (keywords, holds/fails, urgent terms) is a phrase the vocabulary
knows; every rules/_biomarkers.yaml name and synonym resolves to markers (a
marker phrase, or marker phrases followed by result or qualifier words) and
every rules/_labs.yaml name and synonym is a lab phrase.

Usage: check-vocab-data.py RULES_DIR VOCAB_H   (exit 0: coherent; 1: problems, listed)
"""
import os
import re
import sys
import unicodedata

import yaml

CANONICAL = """ER|PR|HER2|HER2 ISH|Ki-67|AR|genomic score|PIK3CA|ESR1|AKT1|PTEN|BRCA1|BRCA2|PALB2|ATM|CHEK2|CDK12|HRD|
EGFR|ALK|ROS1|RET|MET exon 14|MET amplification|KRAS|NRAS|HRAS|BRAF|NTRK|NRG1|PD-L1|TMB|MLH1|PMS2|MSH2|MSH6|MMR|MSI|
MLH1 promoter methylation|POLE|TP53|p53|CLDN18.2|EBV|FGFR2|FGFR2b|FGFR3|FRα|WT1|PAX8|p16|HPV|IDH1|IDH2|1p/19q|MGMT|
ATRX|TERT promoter|CDKN2A/B|EGFR amplification|H3 K27M|KIT|PDGFRA|GNAQ|GNA11|CD20|CD30|CD10|BCL6|MUM1|BCL2|MYC|CD3|CD5|
CD15|CD19|CD23|CD79a|PAX5|cyclin D1|SOX11|MYC rearrangement|BCL2 rearrangement|BCL6 rearrangement|FLT3|NPM1|CEBPA|
BCR-ABL1|PML-RARA|KMT2A|del(17p)|t(4;14)|t(14;16)|t(11;14)|1q gain|del(1p)|MRD|Gleason|ISUP grade|CK7|CK20|TTF-1|
napsin A|CDX2|SATB2|GATA3|p40|p63|synaptophysin|chromogranin|CD56|S100|SOX10|Melan-A|HMB45|DLL3|CD117"""
CANONICAL_LABS = """haemoglobin|platelets|WBC|neutrophils|creatinine|bilirubin|ALT|AST|ALP|albumin|LDH|calcium|sodium|
potassium|CEA|CA 19-9|CA 15-3|CA-125|PSA|AFP|beta-hCG|beta-2 microglobulin|free light chains kappa|
free light chains lambda|M-protein|INR|eGFR|urea|glucose|TSH"""
GRAMMARS = ["posneg", "ihc", "percent", "allred", "hscore", "tps", "cps", "ic", "mutation", "fusion", "amplification",
            "ratio", "copy-number", "expression", "mmr", "msi", "methylation", "codeletion", "tmb", "gleason", "grade",
            "score", "vaf", "high-low"]
KINDS = ["pathology-report", "molecular-report", "radiology-report", "lab-report", "discharge-summary",
         "operative-note", "treatment-summary", "clinical-letter"]
LANG_KEYS = {"language", "name", "script", "stopwords", "months", "words", "labs", "markers", "kinds", "cancer-types",
             "concepts"}
MARKER_KEYS = {"name", "synonyms", "values", "clones", "panel", "assay", "routes", "note"}
SEP = " -/:_."
# value tokens after a marker phrase: numbers, scores, variants, exons, codons
VALUE_TOKEN = re.compile(r"^(\d+(\.\d+)?\+?%?|\+|p\.?\(?[a-z]{1,3}\d+[a-z]{0,3}\*?\)?|[a-z]\d{2,4}[a-z]?|exon|ex\d+[a-z]*|"
                         r"codon|\d+[a-z]{0,4}|r\d+|[a-z]{3}\d+[a-z]{3}|del|ins|vii+|iiib)$")

problems = []


def problem(msg):
    problems.append(msg)


def fold(s):
    s = unicodedata.normalize("NFKD", str(s).lower().replace("ß", "ss").replace("ı", "i"))
    return "".join(c for c in s if not unicodedata.combining(c))


def key(s):
    """The folded phrase without separators: two phrases with one key match the same text."""
    return "".join(c for c in fold(s) if c not in SEP)


def word_classes(vocab_h):
    src = open(vocab_h, encoding="utf-8").read()
    body = src[src.index("enum vocab_class {"):src.index("_VW_MAX")]
    body = re.sub(r"/\*.*?\*/", "", body, flags=re.S)
    names = re.findall(r"\bVW_([A-Z_]+)", body)
    out = []
    for n in names:
        if n == "MARKER":
            break
        out.append(n.lower().replace("_", "-"))
    return out


def load(path, phrases=False):
    """PATH's YAML; PHRASES: a vocabulary file, whose every leaf is a phrase."""
    with open(path, encoding="utf-8") as f:
        d = yaml.safe_load(f)
    if phrases:
        strings(d, os.path.basename(path), "")
    return d


def strings(node, f, where):
    """Every phrase is a string: an unquoted no / on / yes loads as a YAML boolean, 12 as a number."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k not in ("panel", "assay"):
                strings(v, f, where + "." + str(k))
    elif isinstance(node, list):
        for x in node:
            strings(x, f, where)
    elif not isinstance(node, str):
        problem("%s: %s: %r is not a string (quote it)" % (f, where, node))


def main():
    rules, vocab_h = sys.argv[1], sys.argv[2]
    vdir = os.path.join(rules, "vocabulary")
    classes = word_classes(vocab_h)
    if len(classes) < 40:
        problem("%s: could not read enum vocab_class (%d classes)" % (vocab_h, len(classes)))
    types = sorted(f[:-5] for f in os.listdir(rules) if f.endswith(".yaml") and not f.startswith("_"))

    # --- markers.yaml ---
    markers = load(os.path.join(vdir, "markers.yaml"), True)["markers"]
    names = {}
    mphrase = {}       # key -> marker name
    clones = {}
    for m in markers:
        n = m.get("name")
        for k in m:
            if k not in MARKER_KEYS:
                problem("markers.yaml: %s: unknown key %s" % (n, k))
        if n in names:
            problem("markers.yaml: %s twice" % n)
        names[n] = m
        if not m.get("values"):
            problem("markers.yaml: %s: no values" % n)
        for g in m.get("values") or []:
            if g not in GRAMMARS:
                problem("markers.yaml: %s: unknown grammar %s" % (n, g))
        for p in [n] + list(m.get("synonyms") or []):
            k = key(p)
            if k in mphrase and mphrase[k] != n:
                problem("markers.yaml: phrase %r of %s is also a phrase of %s" % (p, n, mphrase[k]))
            mphrase[k] = n
        clones[n] = {key(c) for c in m.get("clones") or []}
    for m in markers:
        for g, t in (m.get("routes") or {}).items():
            if g not in GRAMMARS or t not in names:
                problem("markers.yaml: %s: route %s -> %s: unknown grammar or marker" % (m["name"], g, t))
    for n in CANONICAL.replace("\n", "").split("|"):
        if n not in names:
            problem("markers.yaml: canonical marker %r missing" % n)
    for bad, of in (("er", "ESR1"),):
        if mphrase.get(bad) not in (None, "ER"):
            problem("markers.yaml: bare ER belongs to %s" % mphrase[bad])
    if mphrase.get("esr1") == "ER":
        problem("markers.yaml: ESR1 must not be a synonym of ER")

    # --- labs.yaml ---
    labs = load(os.path.join(vdir, "labs.yaml"), True)["labs"]
    lphrase = {}
    lnames = set()
    for lab in labs:
        lnames.add(lab["name"])
        for p in [lab["name"]] + list(lab.get("synonyms") or []):
            k = key(p)
            if k in lphrase and lphrase[k] != lab["name"]:
                problem("labs.yaml: phrase %r of %s is also a phrase of %s" % (p, lab["name"], lphrase[k]))
            lphrase[k] = lab["name"]
        if not isinstance(lab.get("units", []), list):
            problem("labs.yaml: %s: units is not a list" % lab["name"])
    for n in CANONICAL_LABS.replace("\n", "").split("|"):
        if n not in lnames:
            problem("labs.yaml: canonical lab %r missing" % n)

    # --- language files ---
    known = set(mphrase) | set(lphrase)   # every phrase key the vocabulary knows
    wordkeys = set()                      # result / qualifier words (any class of words:)
    concept_of = {}
    en_concepts = None
    langs = sorted(f for f in os.listdir(vdir) if re.fullmatch(r"[a-z]{2}\.yaml", f))
    if "en.yaml" not in langs:
        problem("vocabulary/en.yaml missing")
    for f in ["en.yaml"] + [x for x in langs if x != "en.yaml"]:
        if f not in langs:
            continue
        d = load(os.path.join(vdir, f), True)
        for k in d:
            if k not in LANG_KEYS:
                problem("%s: unknown key %s" % (f, k))
        if d.get("language") != f[:-5]:
            problem("%s: language is %r, not the file's name" % (f, d.get("language")))
        if len(d.get("months") or []) != 12:
            problem("%s: months: %d lists, not 12" % (f, len(d.get("months") or [])))
        if len(d.get("stopwords") or []) < 30:
            problem("%s: fewer than 30 stopwords" % f)
        words = d.get("words") or {}
        for c in classes:
            if c not in words:
                problem("%s: words: class %s missing" % (f, c))
        for c, ps in words.items():
            if c not in classes:
                problem("%s: words: unknown class %s" % (f, c))
            for p in ps or []:
                known.add(key(p))
                wordkeys.add(key(p))
        for k, ps in (d.get("kinds") or {}).items():
            if k not in KINDS:
                problem("%s: kinds: unknown kind %s" % (f, k))
            for sub in ("headings", "words"):
                for p in (ps or {}).get(sub) or []:
                    known.add(key(p))
        for k, ps in (d.get("cancer-types") or {}).items():
            if k not in types:
                problem("%s: cancer-types: %s is not a rules type" % (f, k))
            for p in ps or []:
                known.add(key(p))
        for k in (d.get("labs") or {}):
            if k not in lnames:
                problem("%s: labs: %s is not in labs.yaml" % (f, k))
        for k in (d.get("markers") or {}):
            if k not in names:
                problem("%s: markers: %s is not in markers.yaml" % (f, k))
        concepts = d.get("concepts") or {}
        if f == "en.yaml":
            en_concepts = set(concepts)
        for c, ps in concepts.items():
            if en_concepts is not None and c not in en_concepts:
                problem("%s: concept %s is not one of en.yaml's" % (f, c))
            for p in ps or []:
                k = key(p)
                if k in concept_of and concept_of[k][0] != c:
                    problem("%s: phrase %r is in concepts %s and %s (%s)" % (f, p, c, concept_of[k][0],
                                                                             concept_of[k][1]))
                concept_of.setdefault(k, (c, f))
                known.add(k)

    # --- _biomarkers.yaml resolves ---
    mkeys = sorted(mphrase, key=len, reverse=True)
    joiners = {"", "and", "or", "&", ","}
    prefix_ok = {key(w) for w in ("germline", "somatic", "hereditary", "tumour", "tumor", "plasma", "tissue")}

    def resolve(phrase):
        """The markers PHRASE names, or None."""
        if key(phrase) in mphrase:
            return [mphrase[key(phrase)]]
        for m, cs in clones.items():       # a clone or assay names its marker's test ("HercepTest", "22C3")
            if key(phrase) in cs:
                return [m]
        toks = [t for t in re.split(r"[\s\-/:_.,()]+|(\+)", fold(phrase)) if t]
        while toks and key(toks[0]) in prefix_ok:
            toks = toks[1:]
        found = []
        i = 0
        while i < len(toks):
            # longest run of tokens that is a marker phrase
            hit = None
            for j in range(len(toks), i, -1):
                if "".join(toks[i:j]) in mphrase:
                    hit = j
                    break
            if hit is None:
                break
            found.append(mphrase["".join(toks[i:hit])])
            i = hit
            if i < len(toks) and toks[i] in joiners and i + 1 < len(toks):
                i += 1
        if not found:
            return None
        rest = toks[i:]
        j = 0
        while j < len(rest):
            # longest run of rest tokens that is a word of any class or a clone
            hit = None
            for e in range(len(rest), j, -1):
                k = "".join(rest[j:e])
                if k in wordkeys or any(k in clones[m] for m in found):
                    hit = e
                    break
            if hit is None and VALUE_TOKEN.match(rest[j]):
                hit = j + 1
            if hit is None:
                return None
            j = hit
        return found

    bio = load(os.path.join(rules, "_biomarkers.yaml"))["biomarkers"]
    for t in bio:
        own = resolve(t["name"])
        for p in [t["name"]] + list(t.get("synonyms") or []):
            # a synonym that is a result phrase ("IHC 1+") qualifies the term's own marker
            if resolve(p) is None and not (own and key(p) in wordkeys):
                problem("_biomarkers.yaml: %s: %r does not resolve to a marker" % (t["name"], p))
    for t in load(os.path.join(rules, "_labs.yaml"))["labs"]:
        for p in [t["name"]] + list(t.get("synonyms") or []):
            if key(p) not in lphrase:
                problem("_labs.yaml: %s: %r is not a lab phrase" % (t["name"], p))

    # --- every word a rule looks for is known ---
    def walk(node, f):
        if isinstance(node, dict):
            for k, v in node.items():
                if k in ("keywords", "holds", "fails", "urgent_terms") and isinstance(v, list):
                    for w in v:
                        if not isinstance(w, str):
                            problem("%s: %s: %r is not a string (quote it)" % (f, k, w))
                        elif key(w) not in known and resolve(str(w)) is None:
                            problem("%s: %s: %r is not a phrase of the vocabulary" % (f, k, w))
                walk(v, f)
        elif isinstance(node, list):
            for x in node:
                walk(x, f)
    for f in sorted(os.listdir(rules)):
        if f.endswith(".yaml"):
            walk(load(os.path.join(rules, f)), f)

    for p in problems:
        print(p)
    print("%d problem(s); %d markers, %d labs, %d language file(s), %d concepts" %
          (len(problems), len(markers), len(labs), len(langs), len(en_concepts or ())))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
