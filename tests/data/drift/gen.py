#!/usr/bin/python3
"""Generates the reference values ferry's drift statistics are checked against (tests/unit/monitor/).

Run once with Debian's python3-numpy and python3-scipy; the output (special.json, cases.json) is
committed, so the C tests never need Python:

    /usr/bin/python3 tests/data/drift/gen.py

special.json: scipy.special.kolmogorov(x) and scipy.special.gammaincc(a, x) on grids.
cases.json: reference/current vectors (numpy, seeded) with every method's expected result as
defined in issue 7 and docs/monitoring.md, degenerate cases included.
"""
import json
import math
import os

import numpy as np
import scipy
import scipy.spatial.distance
import scipy.special
import scipy.stats

HERE = os.path.dirname(os.path.abspath(__file__))
THRESHOLDS = {"ks": 0.05, "chisquare": 0.05, "wasserstein": 0.1, "jensenshannon": 0.1, "psi": 0.1}
PSI_FLOOR = 1e-4


def special_values():
    xs = [0.0, -1.0, 1e-3, 0.02, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.75, 0.8, 0.81, 0.82,
          0.83, 0.85, 0.9, 1.0, 1.1, 1.2, 1.3581, 1.5, 1.75, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0,
          10.0, 12.0, 15.0, 18.0, 19.0]
    xs += [float(x) for x in np.linspace(0.01, 3.0, 60)]
    kolmogorov = [[x, float(scipy.special.kolmogorov(x))] for x in xs]
    a_values = [0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 4.5, 7.0, 10.0, 24.5, 50.0, 99.5, 250.0, 500.0]
    gamma = []
    for a in a_values:
        for f in [0.0, 0.01, 0.1, 0.5, 0.9, 1.0, 1.1, 1.5, 2.0, 3.0, 5.0]:
            x = a * f
            gamma.append([a, x, float(scipy.special.gammaincc(a, x))])
        for x in [0.25, 1.0, 2.0, a + 1.0, a + 5.0, a + 10.0 * math.sqrt(a) + 20.0]:
            gamma.append([a, x, float(scipy.special.gammaincc(a, x))])
    return {"scipy": scipy.__version__, "numpy": np.__version__,
            "kolmogorov": kolmogorov, "gammaincc": gamma}


def result(statistic, p_value, method, drifted=None):
    if drifted is None:
        t = THRESHOLDS[method]
        drifted = bool(p_value < t) if p_value is not None else bool(statistic >= t)
    return {"statistic": statistic, "p_value": p_value, "drifted": drifted}


def degenerate(drifted):
    return {"statistic": None, "p_value": None, "drifted": bool(drifted)}


def frequencies_numeric(ref, cur):
    edges = np.histogram_bin_edges(np.concatenate([ref, cur]), bins="sturges")
    return np.histogram(ref, edges)[0], np.histogram(cur, edges)[0], len(edges) - 1


def js_psi(r_counts, c_counts, n, m):
    js = float(scipy.spatial.distance.jensenshannon(r_counts, c_counts))
    r = r_counts / n
    c = c_counts / m
    r = np.where(r == 0, PSI_FLOOR, r)
    c = np.where(c == 0, PSI_FLOOR, c)
    psi = float(np.sum((c - r) * np.log(c / r)))
    return result(js, None, "jensenshannon"), result(psi, None, "psi")


def chisquare(categories_ref, categories_cur):
    """Pearson's chi-squared over the union of categories; None when degenerate."""
    union = sorted(set(categories_ref) | set(categories_cur), key=str)
    ref_counts = np.array([categories_ref.count(k) for k in union], dtype=float)
    cur_counts = np.array([categories_cur.count(k) for k in union], dtype=float)
    n, m = len(categories_ref), len(categories_cur)
    expected = ref_counts * m / n
    s = scipy.stats.chisquare(cur_counts, expected)
    return result(float(s.statistic), float(s.pvalue), "chisquare"), ref_counts, cur_counts


def numeric_expectations(ref, cur):
    n, m = len(ref), len(cur)
    methods = ["ks", "chisquare", "wasserstein", "jensenshannon", "psi"]
    if n == 0 or m == 0:
        return {k: degenerate(n == 0 and m > 0) for k in methods}
    if np.ptp(ref) == 0:
        return {k: degenerate(bool(np.any(cur != ref[0]))) for k in methods}
    out = {}
    d = float(scipy.stats.ks_2samp(ref, cur).statistic)
    p = float(scipy.special.kolmogorov(math.sqrt(n * m / (n + m)) * d))
    out["ks"] = result(d, p, "ks")
    if set(cur.tolist()) <= set(ref.tolist()):
        out["chisquare"] = chisquare(ref.tolist(), cur.tolist())[0]
    else:
        out["chisquare"] = degenerate(True)
    w = float(scipy.stats.wasserstein_distance(ref, cur) / np.std(ref))
    out["wasserstein"] = result(w, None, "wasserstein")
    r_counts, c_counts, bins = frequencies_numeric(ref, cur)
    out["jensenshannon"], out["psi"] = js_psi(r_counts, c_counts, n, m)
    out["bins"] = bins
    return out


def categorical_expectations(ref, cur):
    n, m = len(ref), len(cur)
    methods = ["chisquare", "jensenshannon", "psi"]
    if n == 0 or m == 0:
        return {k: degenerate(n == 0 and m > 0) for k in methods}
    unseen = not set(cur) <= set(ref)
    if unseen or len(set(ref)) == 1:
        return {k: degenerate(unseen) for k in methods}
    out = {}
    out["chisquare"], r_counts, c_counts = chisquare(ref, cur)
    out["jensenshannon"], out["psi"] = js_psi(r_counts, c_counts, n, m)
    return out


def numeric_cases(rng):
    r4 = lambda a: np.round(a, 4)
    cases = [
        ("same_normal", r4(rng.normal(0, 1, 200)), r4(rng.normal(0, 1, 150))),
        ("shift_half_std_large", r4(rng.normal(10, 2, 1500)), r4(rng.normal(11, 2, 1200))),
        ("shift_one_std", r4(rng.normal(0, 1, 300)), r4(rng.normal(1, 1, 300))),
        ("scale_change", r4(rng.normal(5, 1, 80)), r4(rng.normal(5, 3, 60))),
        ("uniform_vs_normal_small", r4(rng.uniform(-2, 2, 30)), r4(rng.normal(0, 1, 25))),
        ("poisson_ties", rng.poisson(6, 500).astype(float), rng.poisson(6.5, 400).astype(float)),
        ("four_values", rng.integers(0, 4, 300).astype(float),
         rng.choice([0.0, 1.0, 2.0, 3.0], 250, p=[0.1, 0.2, 0.3, 0.4])),
        ("four_values_same", rng.integers(0, 4, 300).astype(float),
         rng.integers(0, 4, 280).astype(float)),
        ("tiny_p", r4(rng.normal(0, 1, 2000)), r4(rng.normal(1, 1, 2000))),
        ("current_outside_range", r4(rng.uniform(0, 1, 400)), r4(rng.uniform(0.5, 1.8, 300))),
        ("pow2_total", r4(rng.exponential(2, 600)), r4(rng.exponential(2.2, 424))),
        ("big_lognormal", r4(rng.lognormal(0, 1, 5000)), r4(rng.lognormal(0.05, 1, 3000))),
        ("two_values", np.array([1.0] * 30 + [2.0] * 20), np.array([1.0] * 10 + [2.0] * 25)),
        ("one_each", np.array([0.5, 1.5]), np.array([1.0])),
        ("constant_same", np.full(50, 3.0), np.full(40, 3.0)),
        ("constant_new_value", np.full(50, 3.0), np.array([3.0] * 39 + [3.5])),
        ("empty_reference", np.array([]), np.array([1.0, 2.0])),
        ("empty_current", np.array([1.0, 2.0, 3.0]), np.array([])),
        ("both_empty", np.array([]), np.array([])),
        ("chisquare_unseen_value", rng.integers(0, 3, 100).astype(float),
         np.array([0.0, 1.0, 2.0, 7.0] * 10)),
    ]
    out = []
    for name, ref, cur in cases:
        ref = np.asarray(ref, dtype=float)
        cur = np.asarray(cur, dtype=float)
        out.append({"name": name, "type": "numerical", "reference": ref.tolist(),
                    "current": cur.tolist(), "expected": numeric_expectations(ref, cur)})
    return out


def categorical_cases(rng):
    def draw(cats, size, p=None):
        return [str(x) for x in rng.choice(cats, size, p=p)]
    abcd = ["a", "b", "c", "d"]
    six = ["red", "green", "blue", "cyan", "magenta", "yellow"]
    many = ["k%02d" % i for i in range(50)]
    cases = [
        ("four_similar", draw(abcd, 300), draw(abcd, 200)),
        ("six_shifted_large", draw(six, 1500), draw(six, 1000, [0.3, 0.3, 0.1, 0.1, 0.1, 0.1])),
        ("category_absent_in_current", draw(abcd, 120), draw(["a", "b", "c"], 90)),
        ("many_categories", draw(many, 800), draw(many, 700)),
        ("quoted_values", draw(["x,y", "say \"hi\"", "line\nbreak", "plain"], 60),
         draw(["x,y", "say \"hi\"", "line\nbreak", "plain"], 40)),
        ("one_category_same", ["only"] * 30, ["only"] * 20),
        ("one_category_new", ["only"] * 30, ["only"] * 19 + ["new"]),
        ("unseen_category", draw(abcd, 100), draw(abcd, 49) + ["e"]),
        ("empty_current", draw(abcd, 10), []),
        ("empty_reference", [], ["a"]),
    ]
    return [{"name": name, "type": "categorical", "reference": ref, "current": cur,
             "expected": categorical_expectations(ref, cur)} for name, ref, cur in cases]


def main():
    rng = np.random.default_rng(20240607)
    with open(os.path.join(HERE, "special.json"), "w") as f:
        json.dump(special_values(), f, indent=0)
        f.write("\n")
    cases = {"scipy": scipy.__version__, "numpy": np.__version__, "thresholds": THRESHOLDS,
             "cases": numeric_cases(rng) + categorical_cases(rng)}
    with open(os.path.join(HERE, "cases.json"), "w") as f:
        json.dump(cases, f, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
