#!/usr/bin/python3
"""Writes tests/data/feedback/expected.json: scikit-learn's metrics on generated rows, which the
unit tests (tests/unit/state/performance.c) and the end-to-end test (tests/integration/feedback.c)
compare ferry's live metrics with. Run with Debian's python3-sklearn:
    /usr/bin/python3 tests/data/feedback/gen.py ../shared/models/bc_xgb
"""
import json
import math
import os
import sys

import numpy as np
from sklearn import metrics as m

EPS = 1e-15


def binary(labels, p1, positive=1):
    pred = (p1 > 0.5).astype(int)
    out = {"accuracy": m.accuracy_score(labels, pred),
           "precision": m.precision_score(labels, pred, pos_label=positive, zero_division=0),
           "recall": m.recall_score(labels, pred, pos_label=positive, zero_division=0),
           "f1": m.f1_score(labels, pred, pos_label=positive, zero_division=0),
           "log_loss": m.log_loss(labels, np.clip(p1, EPS, 1 - EPS), labels=[0, 1])}
    out["roc_auc"] = m.roc_auc_score(labels, p1) if len(set(labels)) == 2 else None
    return out


def multiclass(labels, probs):
    pred = probs.argmax(axis=1)
    c = probs.shape[1]
    out = {"accuracy": m.accuracy_score(labels, pred),
           "precision": m.precision_score(labels, pred, average="macro", zero_division=0),
           "recall": m.recall_score(labels, pred, average="macro", zero_division=0),
           "f1": m.f1_score(labels, pred, average="macro", zero_division=0),
           "log_loss": m.log_loss(labels, np.clip(probs, EPS, 1 - EPS), labels=list(range(c)))}
    out["roc_auc"] = (m.roc_auc_score(labels, probs, multi_class="ovr", average="macro")
                      if len(set(labels)) == c else None)
    return out


def regression(labels, pred):
    return {"mae": m.mean_absolute_error(labels, pred),
            "rmse": math.sqrt(m.mean_squared_error(labels, pred)),
            "r2": m.r2_score(labels, pred)}


def unit_cases(rng):
    cases = []
    for n, positive in [(50, 1), (200, 0), (7, 1)]:
        y = rng.integers(0, 2, n)
        p = np.round(np.clip(0.6 * y + rng.normal(0.2, 0.3, n), 0, 1), 2)  # ties on purpose
        cases.append({"task": "binary", "positive_class": positive, "cols": 1,
                      "labels": y.tolist(), "scores": p.tolist(),
                      "expected": binary(y, p, positive)})
    for n, c in [(120, 3), (300, 5)]:
        y = rng.integers(0, c, n)
        logits = rng.normal(0, 1, (n, c))
        logits[np.arange(n), y] += 1.0
        probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        cases.append({"task": "multiclass", "positive_class": 1, "cols": c,
                      "labels": y.tolist(), "scores": probs.ravel().tolist(),
                      "expected": multiclass(y, probs)})
    for n in [40, 500]:
        y = rng.normal(10, 3, n)
        pred = y + rng.normal(0, 1, n)
        cases.append({"task": "regression", "positive_class": 1, "cols": 1,
                      "labels": y.tolist(), "scores": pred.tolist(),
                      "expected": regression(y, pred)})
    return cases


def bc_xgb(model_dir, rng):
    """1,000 one-row requests over bc_xgb's test rows, labels drawn so that the model is right
    about 90% of the time; expected metrics from the reference outputs."""
    outputs = json.load(open(os.path.join(model_dir, "expected.json")))["outputs"][0]["data"]
    rows = rng.integers(0, len(outputs), 1000)
    p1 = np.array([outputs[i] for i in rows], dtype=np.float64)
    truth = (p1 > 0.5).astype(int)
    flip = rng.random(1000) < 0.1
    labels = np.where(flip, 1 - truth, truth)
    return {"rows": rows.tolist(), "labels": labels.tolist(), "expected": binary(labels, p1)}


def main():
    model_dir = sys.argv[1] if len(sys.argv) > 1 else "../shared/models/bc_xgb"
    rng = np.random.default_rng(7)
    doc = {"generator": "tests/data/feedback/gen.py", "sklearn": __import__("sklearn").__version__,
           "cases": unit_cases(rng), "bc_xgb": bc_xgb(model_dir, rng)}
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "expected.json"), "w") as f:
        json.dump(doc, f, default=float)
        f.write("\n")


if __name__ == "__main__":
    main()
