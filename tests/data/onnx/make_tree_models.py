#!/usr/bin/python3
"""Builds the tree-operator cases under tests/data/onnx/ml/ (TreeEnsembleClassifier and
TreeEnsembleRegressor, opsets 1 and 3), checked by tests/unit/onnx/ops/ml.c like every other case
there. The trees are random (fixed seed) in the layout skl2onnx writes (nodes_* per node, one
class_*/target_* entry per leaf and class), over every mode, with missing_value_tracks_true,
base_values, every post_transform and aggregate, and the two-class cases ONNX Runtime treats
apart. The expected outputs are ONNX Runtime's (onnxruntime-node, run by make_tree_outputs.js):

    /usr/bin/python3 tests/data/onnx/make_tree_models.py gen /tmp/trees
    node tests/data/onnx/make_tree_outputs.js /tmp/trees   # needs onnxruntime-node
    /usr/bin/python3 tests/data/onnx/make_tree_models.py finish /tmp/trees

The generated files are committed: CI runs neither script.
"""
import json
import os
import shutil
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
ML = "ai.onnx.ml"
MODES = ["BRANCH_LEQ", "BRANCH_LT", "BRANCH_GTE", "BRANCH_GT", "BRANCH_EQ", "BRANCH_NEQ"]
THRESHOLDS = [-1.0, 0.0, 0.5, 1.0, 2.0]


def random_tree(rng, tid, depth, n_features, modes, missing):
    """Nodes of one full tree of `depth` as attribute rows (leaves have mode LEAF)."""
    nodes = []

    def add(d):
        nid = len(nodes)
        nodes.append(None)
        if d == depth or (d > 0 and rng.random() < 0.25):
            nodes[nid] = dict(tree=tid, node=nid, mode="LEAF", feature=0, value=0.0, yes=0, no=0,
                              missing=0)
            return nid
        mode = modes[rng.integers(len(modes))]
        row = dict(tree=tid, node=nid, mode=mode, feature=int(rng.integers(n_features)),
                   value=float(THRESHOLDS[rng.integers(len(THRESHOLDS))]),
                   missing=int(missing and rng.random() < 0.5))
        nodes[nid] = row
        row["yes"] = add(d + 1)
        row["no"] = add(d + 1)
        return nid

    add(0)
    return nodes


def ensemble_attrs(rng, n_trees, depth, n_features, targets, prefix, per_leaf, positive,
                   modes=MODES, missing=True, as_tensor=False):
    """nodes_* and <prefix>_* attributes; per_leaf: targets per leaf ("all", "one" or a fixed id)."""
    rows, tgt = [], []
    for t in range(n_trees):
        nodes = random_tree(rng, t, depth, n_features, modes, missing)
        one = int(rng.integers(targets))
        for n in nodes:
            rows.append(n)
            if n["mode"] != "LEAF":
                continue
            ids = (range(targets) if per_leaf == "all" else
                   [one] if per_leaf == "tree" else
                   [int(rng.integers(targets))] if per_leaf == "one" else [per_leaf])
            for k in ids:
                w = float(rng.random() if positive else rng.normal())
                tgt.append((t, n["node"], k, round(w, 3)))
    a = dict(nodes_treeids=[r["tree"] for r in rows], nodes_nodeids=[r["node"] for r in rows],
             nodes_featureids=[r["feature"] for r in rows],
             nodes_modes=[r["mode"] for r in rows],
             nodes_truenodeids=[r["yes"] for r in rows],
             nodes_falsenodeids=[r["no"] for r in rows],
             nodes_missing_value_tracks_true=[r["missing"] for r in rows])
    values = [r["value"] for r in rows]
    weights = [w for (_, _, _, w) in tgt]
    if as_tensor:
        a["nodes_values_as_tensor"] = numpy_helper.from_array(np.array(values, np.float64))
        a[prefix + "_weights_as_tensor"] = numpy_helper.from_array(np.array(weights, np.float64))
    else:
        a["nodes_values"] = values
        a[prefix + "_weights"] = weights
    a[prefix + "_treeids"] = [t for (t, _, _, _) in tgt]
    a[prefix + "_nodeids"] = [n for (_, n, _, _) in tgt]
    a[prefix + "_ids"] = [k for (_, _, k, _) in tgt]
    return a


def inputs(rng, rows, n_features, dtype):
    x = rng.choice(np.array(THRESHOLDS + [-0.5, 0.25, 1.5, 3.0, np.nan]), size=(rows, n_features))
    return x.astype(dtype)


def write_case(out, name, node, x, in_type, outputs, opset):
    d = os.path.join(out, name)
    os.makedirs(os.path.join(d, "test_data_set_0"), exist_ok=True)
    graph = helper.make_graph([node], name, [helper.make_tensor_value_info("X", in_type, ["N", x.shape[1]])],
                              outputs)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13),
                                                    helper.make_opsetid(ML, opset)])
    model.ir_version = 8
    onnx.save(model, os.path.join(d, "model.onnx"))
    t = numpy_helper.from_array(x, "X")
    with open(os.path.join(d, "test_data_set_0", "input_0.pb"), "wb") as f:
        f.write(t.SerializeToString())
    with open(os.path.join(d, "input.json"), "w") as f:
        json.dump(dict(dtype=str(x.dtype), shape=list(x.shape),
                       data=[None if np.isnan(v) else float(v) for v in x.ravel()]), f)


def regressor(out, rng, name, targets, agg, transform, per_leaf="one", base=True, opset=1,
              as_tensor=False):
    nf = 3
    a = ensemble_attrs(rng, 5, 3, nf, targets, "target", per_leaf, False, as_tensor=as_tensor)
    if base:
        a["base_values"] = [round(float(v), 3) for v in rng.normal(size=targets)]
    node = helper.make_node("TreeEnsembleRegressor", ["X"], ["Y"], domain=ML, n_targets=targets,
                            aggregate_function=agg, post_transform=transform, **a)
    dt = np.float64 if as_tensor else np.float32
    x = inputs(rng, 40, nf, dt)
    write_case(out, name, node, x, TensorProto.DOUBLE if as_tensor else TensorProto.FLOAT,
               [helper.make_tensor_value_info("Y", TensorProto.FLOAT, None)], opset)


def classifier(out, rng, name, classes, transform, per_leaf="all", positive=False, base=None,
               strings=False, opset=1, as_tensor=False):
    nf = 3
    a = ensemble_attrs(rng, 4, 3, nf, classes, "class", per_leaf, positive, as_tensor=as_tensor)
    if base is not None:
        a["base_values"] = base
    if strings:
        a["classlabels_strings"] = ["c%d" % k for k in range(classes)]
    else:
        a["classlabels_int64s"] = list(range(classes)) if classes == 2 else \
            [10 * (k + 1) for k in range(classes)]
    node = helper.make_node("TreeEnsembleClassifier", ["X"], ["Y", "Z"], domain=ML,
                            post_transform=transform, **a)
    dt = np.float64 if as_tensor else np.float32
    x = inputs(rng, 40, nf, dt)
    write_case(out, name, node, x, TensorProto.DOUBLE if as_tensor else TensorProto.FLOAT,
               [helper.make_tensor_value_info("Y", TensorProto.STRING if strings
                                              else TensorProto.INT64, None),
                helper.make_tensor_value_info("Z", TensorProto.FLOAT, None)], opset)


def gen(out):
    rng = np.random.default_rng(20261126)
    regressor(out, rng, "tree_regressor_sum_two_targets", 2, "SUM", "NONE")
    regressor(out, rng, "tree_regressor_average_softmax", 3, "AVERAGE", "SOFTMAX", per_leaf="all")
    regressor(out, rng, "tree_regressor_min", 2, "MIN", "NONE", per_leaf="tree", base=False)
    regressor(out, rng, "tree_regressor_max_logistic", 2, "MAX", "LOGISTIC", per_leaf="tree")
    regressor(out, rng, "tree_regressor_one_target_logistic", 1, "SUM", "LOGISTIC")
    regressor(out, rng, "tree_regressor_v3_double", 2, "SUM", "SOFTMAX_ZERO", opset=3,
              as_tensor=True)
    for t in ["NONE", "LOGISTIC", "SOFTMAX", "SOFTMAX_ZERO", "PROBIT"]:
        classifier(out, rng, "tree_classifier_three_" + t.lower(), 3, t,
                   base=[0.1, -0.2, 0.3] if t != "PROBIT" else None)
    classifier(out, rng, "tree_classifier_three_one_class_per_leaf", 3, "SOFTMAX",
               per_leaf="one", strings=True)
    classifier(out, rng, "tree_classifier_binary_mixed_logistic", 2, "LOGISTIC", per_leaf=1,
               base=[0.25], strings=True)
    classifier(out, rng, "tree_classifier_binary_mixed_none", 2, "NONE", per_leaf=1)
    classifier(out, rng, "tree_classifier_binary_class0_logistic", 2, "LOGISTIC", per_leaf=0,
               base=[-0.5])
    classifier(out, rng, "tree_classifier_binary_positive_class1", 2, "NONE", per_leaf=1,
               positive=True)
    classifier(out, rng, "tree_classifier_binary_positive_class0", 2, "NONE", per_leaf=0,
               positive=True)
    classifier(out, rng, "tree_classifier_binary_both_softmax", 2, "SOFTMAX", per_leaf="all",
               positive=True)
    classifier(out, rng, "tree_classifier_v3_double", 3, "SOFTMAX", opset=3, as_tensor=True,
               base=[0.0, 0.5, -0.5])


def finish(out):
    dest = os.path.join(HERE, "ml")
    for name in sorted(os.listdir(out)):
        d = os.path.join(out, name)
        with open(os.path.join(d, "output.json")) as f:
            outs = json.load(f)
        for k, o in enumerate(outs):
            if o["type"] == "string":
                t = helper.make_tensor("out", TensorProto.STRING, o["dims"],
                                       [s.encode() for s in o["data"]])
            else:
                arr = np.array(o["data"], dtype={"int64": np.int64, "float32": np.float32}[o["type"]])
                t = numpy_helper.from_array(arr.reshape(o["dims"]))
            with open(os.path.join(d, "test_data_set_0", "output_%d.pb" % k), "wb") as f:
                f.write(t.SerializeToString())
        target = os.path.join(dest, name)
        shutil.rmtree(target, ignore_errors=True)
        os.makedirs(os.path.join(target, "test_data_set_0"))
        shutil.copy(os.path.join(d, "model.onnx"), target)
        for p in os.listdir(os.path.join(d, "test_data_set_0")):
            shutil.copy(os.path.join(d, "test_data_set_0", p), os.path.join(target, "test_data_set_0"))


if __name__ == "__main__":
    {"gen": gen, "finish": finish}[sys.argv[1]](sys.argv[2])
