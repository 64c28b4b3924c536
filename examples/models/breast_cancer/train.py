#!/usr/bin/python3
"""Train the breast_cancer example model for ferry.

Run from anywhere:  /usr/bin/python3 examples/models/breast_cancer/train.py

Writes, next to this script:
  1/model.json      XGBoost booster (JSON), carrying the 30 feature names
  1/version.yaml    provenance: sha256, size, metrics, params, training data
  data/train.csv    training split (feature names header + `target`)
  data/test.csv     test split (same layout)
  request.json      one OIP v2 inference request (first test row, FP32)
  expected.json     xgboost's predicted probability for that request

Deterministic: fixed seeds, n_jobs=1. Re-running reproduces byte-identical model.json, CSVs,
request.json and expected.json; version.yaml keeps its `created` timestamp when the model's
sha256 is unchanged (or uses SOURCE_DATE_EPOCH when set). Needs Debian's python3-sklearn,
python3-xgboost and python3-numpy; nothing at serve time needs Python.
"""
import datetime
import hashlib
import json
import os
import re
import sys

import numpy as np
import xgboost as xgb
from sklearn.datasets import load_breast_cancer
from sklearn.metrics import accuracy_score, roc_auc_score
from sklearn.model_selection import train_test_split

SEED = 0
PARAMS = dict(n_estimators=100, max_depth=4, learning_rate=0.1)
HERE = os.path.dirname(os.path.abspath(__file__))


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 16), b""):
            h.update(chunk)
    return h.hexdigest()


def write_csv(path, X, y, names):
    with open(path, "w", newline="\n") as f:
        f.write(",".join(names + ["target"]) + "\n")
        for row, t in zip(X, y):
            f.write(",".join(repr(float(v)) for v in row) + "," + str(int(t)) + "\n")


def created_timestamp(version_yaml, sha):
    """Keep the old `created` if the artifact is unchanged, so re-runs don't churn git."""
    if "SOURCE_DATE_EPOCH" in os.environ:
        t = datetime.datetime.fromtimestamp(int(os.environ["SOURCE_DATE_EPOCH"]),
                                            datetime.timezone.utc)
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    try:
        with open(version_yaml) as f:
            text = f.read()
        old_sha = re.search(r"^sha256:\s*([0-9a-f]{64})\s*$", text, re.M)
        old_created = re.search(r"^created:\s*(\S+)\s*$", text, re.M)
        if old_sha and old_created and old_sha.group(1) == sha:
            return old_created.group(1)
    except FileNotFoundError:
        pass
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def main():
    ds = load_breast_cancer()
    names = [n.replace(" ", "_") for n in ds.feature_names]
    X, y = ds.data, ds.target
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.2, stratify=y, random_state=SEED)

    clf = xgb.XGBClassifier(objective="binary:logistic", n_jobs=1, random_state=SEED, **PARAMS)
    clf.fit(X_train, y_train)
    booster = clf.get_booster()
    booster.feature_names = names  # no pandas on Debian's stack: name the features explicitly
    booster.feature_types = ["float"] * len(names)

    # Evaluate through the booster on float32 input, exactly as a server would see FP32 data.
    p_test = booster.inplace_predict(X_test.astype(np.float32))
    accuracy = float(accuracy_score(y_test, (p_test > 0.5).astype(int)))
    auc = float(roc_auc_score(y_test, p_test))

    os.makedirs(os.path.join(HERE, "1"), exist_ok=True)
    os.makedirs(os.path.join(HERE, "data"), exist_ok=True)
    model_path = os.path.join(HERE, "1", "model.json")
    booster.save_model(model_path)
    train_csv = os.path.join(HERE, "data", "train.csv")
    write_csv(train_csv, X_train, y_train, names)
    write_csv(os.path.join(HERE, "data", "test.csv"), X_test, y_test, names)

    # Request for the first test row. Values are written as the shortest decimal that
    # round-trips to the same float32, so the server sees exactly what xgboost saw here.
    row = X_test[:1].astype(np.float32)
    request = {"inputs": [{"name": "input", "shape": [1, len(names)], "datatype": "FP32",
                           "data": [float(repr(v)) for v in row[0]]}]}
    assert np.array_equal(np.asarray(request["inputs"][0]["data"], dtype=np.float32), row[0])
    with open(os.path.join(HERE, "request.json"), "w") as f:
        json.dump(request, f, separators=(",", ":"))
        f.write("\n")
    prob = np.float32(booster.inplace_predict(row)[0])
    # Shaped like the OIP v2 response ferry should return (FP32 probability of class 1).
    expected = {"model_name": "breast_cancer", "model_version": "1",
                "outputs": [{"name": "predict", "datatype": "FP32", "shape": [1],
                             "data": [float(repr(prob))]}]}
    with open(os.path.join(HERE, "expected.json"), "w") as f:
        json.dump(expected, f, separators=(",", ":"))
        f.write("\n")

    sha = sha256_file(model_path)
    version_yaml = os.path.join(HERE, "1", "version.yaml")
    created = created_timestamp(version_yaml, sha)
    with open(version_yaml, "w") as f:
        f.write(
            "# Provenance for version 1; written by ../train.py.\n"
            f"sha256: {sha}\n"
            f"size: {os.path.getsize(model_path)}\n"
            "backend: xgboost\n"
            f"created: {created}\n"
            "author: ferry-examples\n"
            f"metrics: {{accuracy: {accuracy:.6f}, auc: {auc:.6f}}}\n"
            f"params: {{n_estimators: {PARAMS['n_estimators']}, max_depth: {PARAMS['max_depth']}, "
            f"learning_rate: {PARAMS['learning_rate']}}}\n"
            f"training_data: {{path: data/train.csv, sha256: {sha256_file(train_csv)}, "
            f"rows: {len(X_train)}}}\n"
            "tags: {dataset: sklearn-breast-cancer}\n")

    print(f"xgboost {xgb.__version__}: train {len(X_train)} rows, test {len(X_test)} rows")
    print(f"test accuracy {accuracy:.4f}  auc {auc:.4f}")
    print(f"first test row: p={prob!r} label={int(y_test[0])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
