#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every message of every rule (rules/*.yaml) reads as a coordinator's
sentence (issue 18): it starts with a capital letter and ends a sentence, has
no doubled word ("Only only"), no rule id and no UID; a condition is a clause
that follows the report's "Only ...: " (if, for, before, after, where, when),
and that clause with the message has no doubled word either. The reports'
words for DICOM codes (rules/words/report.yaml) cover every modality and region
a rule names.

usage: test-messages.py RULES_DIR"""

import os
import re
import sys

import yaml

failures = []
# the clause a condition may start with: the report shows "Only <condition>: <message>"
CONDITION_STARTS = ("if ", "for ", "before ", "after ", "where ", "when ", "in ")
UID = re.compile(r"(?<![\w.])\d+(?:\.\d+){4,}(?![\w.])")
WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")


def check(cond, what):
    if not cond:
        failures.append(what)
        sys.stderr.write("FAIL: %s\n" % what)


def doubled_word(text):
    """The first word said twice in a row (case-insensitive), or None."""
    words = [(m.group(0).lower(), m.start(), m.end()) for m in WORD.finditer(text)]
    for (a, _, ea), (b, sb, _) in zip(words, words[1:]):
        if a == b and not text[ea:sb].strip():
            return a
    return None


def wording(text, where, ids):
    """Problems of one text a coordinator reads."""
    problems = []
    if not text or not text.strip():
        return ["empty"]
    if text != text.strip() or "  " in text:
        problems.append("stray spaces")
    d = doubled_word(text)
    if d:
        problems.append("doubled word %r" % d)
    if UID.search(text):
        problems.append("a UID (%s)" % UID.search(text).group(0))
    for tok in re.findall(r"[a-z0-9-]+\.[a-z0-9.-]+", text):
        if tok.rstrip(".") in ids:
            problems.append("a rule id (%s)" % tok)
    return ["%s: %s" % (where, p) for p in problems]


def load(rules_dir):
    rules, ids = [], set()
    for name in sorted(os.listdir(rules_dir)):
        if not name.endswith(".yaml"):
            continue
        with open(os.path.join(rules_dir, name), encoding="utf-8") as f:
            doc = yaml.safe_load(f)
        if not isinstance(doc, dict) or "rules" not in doc:
            continue
        for r in doc["rules"]:
            rules.append((name, r))
            ids.add(r["id"])
    return rules, ids


def self_test():
    """The checks find what they are for."""
    ids = {"breast.her2"}
    check(doubled_word("Only only if there is no PET-CT") == "only", "self-test: 'Only only' is found")
    check(doubled_word("Only for AML: AML genetics") is None, "self-test: a word again after a colon is fine")
    check(doubled_word("the the") == "the", "self-test: 'the the'")
    check(any("UID" in p for p in wording("study 1.2.826.0.1.3680043.10.1234.1.1.2 (MR)", "x", ids)),
          "self-test: a UID is found")
    check(not wording("ask for version 3.2 of the report.", "x", ids), "self-test: a version number is no UID")
    check(any("rule id" in p for p in wording("see breast.her2.", "x", ids)), "self-test: a rule id is found")


def walk_studies(node):
    """Every study a rule's imaging names (a dict with modalities or regions)."""
    if isinstance(node, dict):
        if "modalities" in node or "regions" in node:
            yield node
        for v in node.values():
            yield from walk_studies(v)
    elif isinstance(node, list):
        for v in node:
            yield from walk_studies(v)


def check_words(rules_dir, rules):
    """rules/words/report.yaml: the words the reports use for DICOM codes; every
    modality and region a rule names has them, and they are plain words."""
    path = os.path.join(rules_dir, "words", "report.yaml")
    with open(path, encoding="utf-8") as f:
        words = yaml.safe_load(f)
    check(set(words) == {"modalities", "body_parts", "transfer_syntaxes", "modality_names", "kinds"},
          "%s: its five maps" % path)
    for section, m in words.items():
        for code, w in (m or {}).items():
            check(isinstance(w, str) and w.strip() == w and w and not UID.search(w) and doubled_word(w) is None,
                  "%s: %s %s: plain words, not %r" % (path, section, code, w))
    for name, r in rules:
        for st in walk_studies(r.get("imaging") or {}):
            for m in st.get("modalities") or []:
                check(m in words["modalities"], "%s %s: modality %s has no words in %s" % (name, r["id"], m, path))
                check(m in words["modality_names"], "%s %s: modality %s has no name in %s" % (name, r["id"], m, path))
            for g in st.get("regions") or []:
                check(g in words["body_parts"], "%s %s: region %s has no words in %s" % (name, r["id"], g, path))
    # the transfer syntaxes DICOM defines for images (PS3.5 A.4) that a drop holds most
    for uid in ("1.2.840.10008.1.2", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.70",
                "1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.91", "1.2.840.10008.1.2.5"):
        check(uid in words["transfer_syntaxes"], "%s: transfer syntax %s has words" % (path, uid))


def main():
    if len(sys.argv) != 2:
        sys.stderr.write(__doc__)
        return 2
    self_test()
    rules, ids = load(sys.argv[1])
    check(len(rules) > 300, "rules read (%d)" % len(rules))
    for name, r in rules:
        rid = r.get("id", "?")
        msg = r.get("message", "")
        where = "%s %s" % (name, rid)
        for p in wording(msg, where + " message", ids):
            check(False, p)
        first = msg.split(" ", 1)[0]
        # a marker's own spelling may start it (p16, dMMR): a word with a digit or a capital inside
        check(msg[:1].isupper() or msg[:1] in "\"'" or re.search(r"[0-9A-Z]", first),
              "%s message starts with a capital letter: %r" % (where, msg[:40]))
        check(msg.rstrip('"\'')[-1:] in ".?!)", "%s message ends a sentence: %r" % (where, msg[-40:]))
        cond = (r.get("when") or {}).get("condition")
        if cond is None:
            continue
        check(cond.startswith(CONDITION_STARTS),
              "%s condition %r reads after \"Only \" (starts with one of %s)" % (where, cond, CONDITION_STARTS))
        check(not cond.endswith((".", ":", ";")), "%s condition %r is a clause (no end stop)" % (where, cond))
        shown = "Only %s: %s" % (cond, msg)
        for p in wording(shown, where + " as shown with its condition", ids):
            check(False, p)
    check_words(sys.argv[1], rules)
    if failures:
        sys.stderr.write("%d failure(s)\n" % len(failures))
        return 1
    print("%d rules: every message and condition reads as plain words" % len(rules))
    return 0


if __name__ == "__main__":
    sys.exit(main())
