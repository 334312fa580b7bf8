"""McNemar's test of two classifiers on the same tiles, as statsmodels computes it
(fixtures/reference/metrics/mcnemar.json).

For discordant counts b (tiles only run A gets right) and c (only run B): the exact test
(`mcnemar(table, exact=True)`: statistic min(b, c), two-sided binomial p-value with p = 1/2) and
the chi-square test with continuity correction (`exact=False, correction=True`: statistic
(|b - c| - 1)^2 / (b + c), p-value from chi-square with 1 degree of freedom).

Run: /work/venv-classify/bin/python scripts/reference/mcnemar_statsmodels.py (statsmodels)
"""
import json
import math
import os

import statsmodels
from statsmodels.stats.contingency_tables import mcnemar

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "fixtures", "reference", "metrics", "mcnemar.json")

PAIRS = [(0, 0), (0, 1), (1, 0), (1, 1), (2, 7), (7, 2), (5, 5), (3, 12), (10, 25), (24, 26), (40, 61), (0, 30),
         (150, 120), (500, 560), (1, 1000)]


def num(v):
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else float(f"{v:.15g}")


def main():
    cases = []
    for b, c in PAIRS:
        table = [[7, b], [c, 3]]  # the concordant cells do not enter the test
        exact = mcnemar(table, exact=True)
        if b + c > 0:
            chi = mcnemar(table, exact=False, correction=True)
            chi_stat, chi_p = float(chi.statistic), float(chi.pvalue)
        else:
            chi_stat, chi_p = None, None
        cases.append({"b": b, "c": c, "exact_statistic": num(float(exact.statistic)), "exact_p_value": num(float(exact.pvalue)),
                      "chi2_statistic": num(chi_stat), "chi2_p_value": num(chi_p)})
    with open(OUT, "w") as f:
        json.dump({"generator": "scripts/reference/mcnemar_statsmodels.py", "statsmodels": statsmodels.__version__,
                   "cases": cases}, f, indent=1)
        f.write("\n")
    for case in cases:
        print(case)


if __name__ == "__main__":
    main()
