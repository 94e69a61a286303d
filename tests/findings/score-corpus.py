#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Score what ingestd reads from the gold corpus against what the documents mean.

    score-corpus.py --ingest BIN --rules DIR --docs DOCS --gold GOLD
                    [--floor 0.97] [--floor-group 0.90] [--report FILE] [--json SCAN.json]

Runs `ingest scan DOCS --json` (the coordinator's own data path: extraction,
OCR, kind, language, findings), then compares every document's statements,
labs, kind and language with its gold file (GOLD/NAME.yaml, written from the
document's meaning: fixtures/corpus/README.md). Prints precision and recall
per field, per language and per layout (prose / table / ocr), every miss and
every false claim, and exits 1 when

  - any false "found" appears: a result the engine states for a marker that
    the document does not assert (no gold result for that marker with that
    polarity, a different value, or one the document says about someone
    else or only hypothetically), or
  - recall of statements falls below --floor overall, or below --floor-group
    in any language or layout, or
  - a document's kind is wrong.

--max-languages-wrong N fails when more than N documents get the wrong
language (not checked unless given).

--max-false-found and --max-kinds-wrong are ratchets for an engine that is
not there yet (the meson test names the counts it reached): the figures may
only go down.

The last line is always "corpus: ..." with the figures.
"""

import argparse
import collections
import json
import os
import re
import subprocess
import sys

import yaml

RESULT_ASSERTIONS = ("result", "equivocal")
OTHER_PERSON = ("family", "hypothetical", "possible")


def norm(s):
    """Values compared as a reader would: case, spaces and a decimal comma do not matter."""
    if s is None:
        return None
    s = str(s).lower().replace(",", ".").replace("％", "%")
    s = re.sub(r"\s+", "", s)
    s = s.replace("–", "-").replace("−", "-")
    return s


def numbers(s):
    return re.findall(r"\d+(?:\.\d+)?\+?%?|[<>]=?", norm(s) or "")


def value_agrees(gold, got):
    """Gold "5%" and engine "TPS 5%" agree; "TPS 5%" and "TPS 50%" do not.
    The numbers (with their + and %) must be the same, in order; a gold value
    that names its score ("TPS", "CPS", "Allred") must see that name."""
    if gold is None:
        return True
    if got is None:
        return False
    g, e = norm(gold), norm(got)
    if g == e or g in e:
        return True
    gn, en = numbers(gold), numbers(got)
    if not gn:
        return g in e or e in g
    if gn != en:
        return False
    for word in re.findall(r"[a-z]+", g):
        if word not in e:
            return False
    return True


def variant_agrees(gold, got):
    """p.V600E, V600E and p.(Val600Glu) written either way: the protein
    notation's prefix and brackets do not matter."""
    def v(x):
        x = norm(x) or ""
        return re.sub(r"^p\.|[()]", "", x)
    if gold is None:
        return True
    if got is None:
        return False
    return v(gold) == v(got) or v(gold) in v(got) or value_agrees(gold, got)


def infer_polarity(result):
    """Only for reports of the old engine, which had no polarity key."""
    r = (result or "").lower()
    for neg in ("not detected", "negative", "wild", "not amplified", "retained", "mss", "proficient", "not mut",
                "non mut", "non-mut",
                "unmethylated", "no ", "absent", "intact", "non-codeleted", "not codeleted"):
        if neg in r:
            return "negative"
    for pos in ("positive", "detected", "mutat", "amplified", "lost", "loss", "msi-h", "deficient",
                "methylated", "codeleted", "rearranged", "fusion"):
        if pos in r:
            return "positive"
    return "none"


def engine_statements(doc):
    """The statements of one document of the report, as (marker, assertion, polarity, value, ...)."""
    out = []
    for b in doc.get("biomarkers", []) + doc.get("biomarkers_context", []):
        assertion = b.get("assertion", "result")
        polarity = b.get("polarity")
        if polarity is None:
            polarity = infer_polarity(b.get("result"))
        out.append({
            "marker": b["name"], "assertion": assertion, "polarity": polarity,
            "value": b.get("value", b.get("result")), "variant": b.get("variant"),
            "vclass": b.get("classification"), "origin": b.get("origin"),
            "modifiers": b.get("modifiers") or [], "superseded": bool(b.get("superseded")),
            "amendment": bool(b.get("amendment")), "snippet": b.get("snippet", ""),
        })
    for b in doc.get("biomarkers_unresulted", []):
        out.append({
            "marker": b["name"], "assertion": b.get("state", "pending").replace("insufficient", "insufficient"),
            "polarity": "none", "value": None, "variant": None, "vclass": None, "origin": None,
            "modifiers": b.get("modifiers") or [], "superseded": bool(b.get("superseded")),
            "amendment": False, "snippet": b.get("snippet", ""),
        })
    return out


def is_claim(s):
    """A statement the report would count as the patient's result."""
    return (s["assertion"] in RESULT_ASSERTIONS and not s["superseded"]
            and not any(m in OTHER_PERSON for m in s["modifiers"]))


def gold_statements(g):
    out = []
    for s in g.get("statements") or []:
        out.append({
            "marker": s["marker"], "assertion": s.get("assertion", "result"),
            "polarity": s.get("polarity", "none"), "value": s.get("value"), "variant": s.get("variant"),
            "vclass": s.get("vclass"), "origin": s.get("origin"), "modifiers": s.get("modifiers") or [],
            "superseded": bool(s.get("superseded")), "amendment": bool(s.get("amendment")),
        })
    return out


class Tally:
    def __init__(self):
        self.tp = self.fn = self.fp = 0

    def p(self):
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    def r(self):
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    def line(self, name):
        return "%-28s P %6.1f%%  R %6.1f%%  (tp %d, fn %d, fp %d)" % (
            name, 100 * self.p(), 100 * self.r(), self.tp, self.fn, self.fp)


def score_doc(name, g, d, t, lines):
    """Score one document; adds to the tallies T; returns the false claims."""
    lang, layout = g.get("language"), g.get("layout")
    groups = ["all", "lang:" + str(lang), "layout:" + str(layout)]
    gold = gold_statements(g)
    got = engine_statements(d) if d else []
    false_found = []

    def add(field, kind, n=1):
        for grp in groups:
            setattr(t[field][grp], kind, getattr(t[field][grp], kind) + n)

    # Kind and language (one decision per document).
    if d is None:
        lines.append("%s: MISSING from the report" % name)
    kind_ok = d is not None and d.get("kind") == g.get("kind")
    add("kind", "tp" if kind_ok else "fn")
    if not kind_ok:
        add("kind", "fp")
        lines.append("%s: kind %s, gold %s" % (name, d.get("kind") if d else None, g.get("kind")))
    lang_ok = d is not None and d.get("language") == lang
    add("language", "tp" if lang_ok else "fn")
    if not lang_ok:
        add("language", "fp")
        lines.append("%s: language %s, gold %s" % (name, d.get("language") if d else None, lang))

    # Statements: each gold statement about the patient is matched once.
    used = set()
    for gs in gold:
        about_patient = not any(m in OTHER_PERSON for m in gs["modifiers"])
        match = None
        for i, es in enumerate(got):
            if i in used or es["marker"] != gs["marker"]:
                continue
            if es["assertion"] != gs["assertion"] or es["polarity"] != gs["polarity"]:
                continue
            if es["superseded"] != gs["superseded"]:
                continue
            # about the patient or not: the modifiers (a superseded result is
            # still the patient's, matched to a superseded gold statement above)
            if about_patient != (is_claim(es) or (es["superseded"] and not any(
                    m in OTHER_PERSON for m in es["modifiers"]))) and gs["assertion"] in RESULT_ASSERTIONS:
                continue
            match = i
            break
        if not about_patient:
            if match is not None:
                used.add(match)
            continue     # scored below as a claim, never as recall
        if match is None:
            add("statement", "fn")
            lines.append("%s: missed %s %s %s %s" % (name, gs["marker"], gs["assertion"], gs["polarity"],
                                                   gs["value"] or ""))
            continue
        used.add(match)
        es = got[match]
        add("statement", "tp")
        for field, gk, ek, agree in (("value", "value", "value", value_agrees),
                                      ("variant", "variant", "variant", variant_agrees),
                                      ("classification", "vclass", "vclass", lambda a, b: a == b),
                                      ("origin", "origin", "origin", lambda a, b: a == b)):
            if gs[gk] is None:
                continue
            if agree(gs[gk], es[ek]):
                add(field, "tp")
            else:
                add(field, "fn")
                if es[ek] is not None:
                    add(field, "fp")
                lines.append("%s: %s %s %r, gold %r" % (name, gs["marker"], field, es[ek], gs[gk]))
                # a different number is a wrong result; a value the engine did
                # not give (only words) is a miss of the value field
                if field == "value" and numbers(es[ek]) and is_claim(es):
                    false_found.append("%s: %s value %r where the document says %r: \"%s\"" % (
                        name, gs["marker"], es[ek], gs[gk], es["snippet"]))
    def restates(es):
        """The same result said again (a table row and the conclusion), or
        part of it (the value without the polarity the gold adds): no new
        claim."""
        for gs in gold:
            if gs["marker"] != es["marker"] or any(m in OTHER_PERSON for m in gs["modifiers"]):
                continue
            if gs["assertion"] not in RESULT_ASSERTIONS or gs["superseded"] != es["superseded"]:
                continue
            if es["polarity"] not in (gs["polarity"], "none") or es["assertion"] != gs["assertion"]:
                continue
            if es["value"] is not None and gs["value"] is not None and numbers(es["value"]) and \
                    not value_agrees(gs["value"], es["value"]):
                continue
            return True
        return False

    for i, es in enumerate(got):
        if i in used:
            continue
        if is_claim(es) and restates(es):
            continue
        if is_claim(es):
            add("statement", "fp")
            false_found.append("%s: %s %s %s %r is not what the document says: \"%s\"" % (
                name, es["marker"], es["assertion"], es["polarity"], es["value"], es["snippet"]))
        elif es["assertion"] not in RESULT_ASSERTIONS and not es["superseded"]:
            add("statement", "fp")
            lines.append("%s: extra %s %s" % (name, es["marker"], es["assertion"]))

    # Labs: (lab, value) pairs, dates where gold gives them.
    glabs = list(g.get("labs") or [])
    elabs = list(d.get("labs", [])) if d else []
    lused = set()
    for gl in glabs:
        hit = None
        for i, el in enumerate(elabs):
            if i in lused or el.get("name") != gl["lab"]:
                continue
            ev = el.get("value")
            if ev is None or abs(float(ev) - float(gl["value"])) > 1e-6 * max(1.0, abs(float(gl["value"]))):
                continue
            if gl.get("date") and el.get("date") and str(gl["date"]) != el.get("date"):
                continue
            hit = i
            break
        if hit is None:
            add("lab", "fn")
            lines.append("%s: missed lab %s %s %s" % (name, gl["lab"], gl["value"], gl.get("date") or ""))
        else:
            lused.add(hit)
            add("lab", "tp")
    for i, el in enumerate(elabs):
        if i not in lused:
            add("lab", "fp")
            lines.append("%s: lab %s %s %s is not in the document: \"%s\"" % (
                name, el.get("name"), el.get("value_text"), el.get("date") or "", el.get("snippet", "")))
    return false_found


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ingest", required=True)
    ap.add_argument("--rules", required=True)
    ap.add_argument("--docs", required=True)
    ap.add_argument("--gold", required=True)
    ap.add_argument("--floor", type=float, default=0.97)
    ap.add_argument("--floor-group", type=float, default=0.90)
    ap.add_argument("--lab-precision", type=float, default=0.97)
    ap.add_argument("--max-false-found", type=int, default=0,
                    help="a ratchet while the engine is not there yet: fail above this many (default 0)")
    ap.add_argument("--max-kinds-wrong", type=int, default=0)
    ap.add_argument("--max-languages-wrong", type=int, default=-1,
                    help="fail above this many documents with the wrong language (default: not checked)")
    ap.add_argument("--json", help="a report already made (skip the scan)")
    ap.add_argument("--report", help="write the full listing here too")
    a = ap.parse_args()

    if a.json:
        with open(a.json) as f:
            rep = json.load(f)
    else:
        p = subprocess.run([a.ingest, "scan", a.docs, "--json", "--rules", a.rules, "--cancer-type", "generic",
                            "--today", "2026-12-01"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=1800)
        if p.returncode != 0:
            sys.stderr.write(p.stderr.decode(errors="replace"))
            print("corpus: ingest scan failed with status %d" % p.returncode)
            return 1
        rep = json.loads(p.stdout)
    docs = {d["path"]: d for d in rep["inventory"]["documents"]}

    t = collections.defaultdict(lambda: collections.defaultdict(Tally))
    lines, false_found = [], []
    golds = sorted(f for f in os.listdir(a.gold) if f.endswith(".yaml"))
    if not golds:
        print("corpus: no gold files in %s" % a.gold)
        return 1
    for gf in golds:
        with open(os.path.join(a.gold, gf)) as f:
            g = yaml.safe_load(f)
        false_found += score_doc(g["document"], g, docs.get(g["document"]), t, lines)

    out = []
    out.append("== per field (all %d documents)" % len(golds))
    for field in ("statement", "value", "variant", "classification", "origin", "lab", "kind", "language"):
        out.append(t[field]["all"].line(field))
    for prefix in ("lang:", "layout:"):
        out.append("== statements per %s" % prefix[:-1])
        for grp in sorted(k for k in t["statement"] if k.startswith(prefix)):
            out.append(t["statement"][grp].line(grp))
    out.append("== misses and disagreements (%d)" % len(lines))
    out += lines
    out.append("== false found (%d)" % len(false_found))
    out += false_found

    fails = []
    st = t["statement"]
    if len(false_found) > a.max_false_found:
        fails.append("%d false found (at most %d allowed)" % (len(false_found), a.max_false_found))
    if st["all"].r() < a.floor:
        fails.append("statement recall %.1f%% < %.1f%%" % (100 * st["all"].r(), 100 * a.floor))
    for grp, tl in sorted(st.items()):
        if grp != "all" and tl.r() < a.floor_group:
            fails.append("%s recall %.1f%% < %.1f%%" % (grp, 100 * tl.r(), 100 * a.floor_group))
    if t["kind"]["all"].fn > a.max_kinds_wrong:
        fails.append("%d kinds wrong (at most %d allowed)" % (t["kind"]["all"].fn, a.max_kinds_wrong))
    if a.max_languages_wrong >= 0 and t["language"]["all"].fn > a.max_languages_wrong:
        fails.append("%d languages wrong (at most %d allowed)" % (t["language"]["all"].fn, a.max_languages_wrong))
    if t["lab"]["all"].p() < a.lab_precision:
        fails.append("lab precision %.1f%% < %.1f%%" % (100 * t["lab"]["all"].p(), 100 * a.lab_precision))
    summary = ("corpus: %d documents, statements P %.1f%% R %.1f%%, values R %.1f%%, labs P %.1f%% R %.1f%%, "
               "kinds %d/%d, languages %d/%d, false found %d: %s" % (
                   len(golds), 100 * st["all"].p(), 100 * st["all"].r(), 100 * t["value"]["all"].r(),
                   100 * t["lab"]["all"].p(), 100 * t["lab"]["all"].r(),
                   t["kind"]["all"].tp, len(golds), t["language"]["all"].tp, len(golds), len(false_found),
                   "FAIL (" + "; ".join(fails) + ")" if fails else "PASS"))
    out.append(summary)
    text = "\n".join(out) + "\n"
    if a.report:
        with open(a.report, "w") as f:
            f.write(text)
    sys.stdout.write(text)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
