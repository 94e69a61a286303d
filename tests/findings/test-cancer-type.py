#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Cancer-type inference reads every language (issue #16, item 5): each case
is one document in a drop of its own, `ingest scan --json` with the shipped
rules must infer the type from the vocabulary's cancer-type words
(rules/vocabulary/XX.yaml `cancer-types`), with its guards: "non-small cell"
is NSCLC, a negated mention or one about a relative does not count.

    test-cancer-type.py   (env: INGEST_BIN, INGEST_SOURCE_ROOT)
"""
import json
import os
import subprocess
import sys
import tempfile

CASES = [
    # (name, document text, expected type id)
    ("es-mieloma", "Informe de anatomía patológica\n\nBiopsia de médula ósea.\n"
     "Diagnóstico: mieloma múltiple con 40 % de células plasmáticas.\n", "myeloma"),
    ("de-darmkrebs", "Pathologischer Befund\n\nKoloskopie mit Biopsie.\n"
     "Diagnose: Darmkrebs im Sigma, mäßig differenziert.\n", "colorectal"),
    ("zh-lung", "病理诊断报告\n\n临床诊断：肺腺癌。\n免疫组化：TTF-1 阳性。\n", "nsclc"),
    ("fr-sein", "Compte rendu anatomopathologique\n\nMicrobiopsie.\n"
     "Conclusion : carcinome mammaire infiltrant de type non spécifique.\n", "breast"),
    ("ru-lymphoma", "Патологоанатомическое заключение\n\nБиопсия лимфатического узла.\n"
     "Заключение: диффузная лимфома, иммунофенотип B-клеточный.\n", "lymphoma"),
    ("tr-meme", "Patoloji raporu\n\nTru-cut biyopsi.\nTanı: invaziv duktal karsinom, meme kanseri.\n", "breast"),
    # guards
    ("en-non-small", "Pathology report\n\nDiagnosis: non-small cell lung carcinoma, favour adenocarcinoma.\n", "nsclc"),
    ("en-negated-family", "Clinic letter\n\nDiagnosis: cutaneous melanoma of the back, Breslow 2.1 mm.\n"
     "Staging marrow: no evidence of lymphoma.\nFamily history: mother had ovarian cancer.\n", "melanoma"),
    ("de-negated", "Pathologischer Befund\n\nKnochenmarkbiopsie.\nKein Anhalt für ein Lymphom.\n"
     "Diagnose: multiples Myelom.\n", "myeloma"),
    ("es-family", "Informe clínico\n\nAntecedentes familiares: madre con cáncer de mama.\n"
     "Diagnóstico: melanoma cutáneo.\n", "melanoma"),
    # nothing but a negated mention: no type
    ("en-only-negated", "Pathology report\n\nBone marrow trephine: no evidence of lymphoma.\n", "generic"),
]


def main():
    src = os.environ.get("INGEST_SOURCE_ROOT", os.path.join(os.path.dirname(__file__), "..", ".."))
    ingest = os.environ.get("INGEST_BIN", "ingest")
    rules = os.path.join(src, "rules")
    fails = 0
    with tempfile.TemporaryDirectory() as tmp:
        for name, text, want in CASES:
            d = os.path.join(tmp, name)
            os.makedirs(d)
            with open(os.path.join(d, "report.txt"), "w", encoding="utf-8") as f:
                f.write(text)
            p = subprocess.run([ingest, "scan", d, "--json", "--rules", rules], capture_output=True, text=True)
            try:
                ct = json.loads(p.stdout)["cancer_type"]
            except (ValueError, KeyError):
                print("%s: ingest scan failed (status %d): %s" % (name, p.returncode, p.stderr[-500:]))
                fails += 1
                continue
            ok = ct["id"] == want and (want == "generic" or ct["source"] == "inferred")
            print("%s: %s %s (%s): %s" % ("ok" if ok else "FAIL", name, ct["id"], ct["source"], ct["evidence"]))
            fails += not ok
    print("%d of %d cases wrong" % (fails, len(CASES)))
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
