#!/usr/bin/python3
"""Builds the test models under tests/data/onnx/ for tests/unit/onnx/ml_ops.c and strings.c:

  ml/          ai.onnx.ml operators, one case per folder;
  ml_invalid/  models ferry must refuse at load, or whose data must fail a request;
  strings/     string tensors through the engine (Identity, Equal, initializers, pass-through).

Each case is a folder laid out as ONNX's node tests: model.onnx and test_data_set_0/input_K.pb,
output_K.pb (ml_invalid/ cases may have inputs only). The expected outputs come from scikit-learn
where it computes the same thing (scalers, imputer, normalizers, linear models, SVMs, one-class
SVM), and otherwise from the numpy formulas below, which follow the ONNX operator specs as ONNX
Runtime implements them. The generated files are committed: CI does not run this script.

Regenerate with Debian's python3-onnx and python3-sklearn:
    /usr/bin/python3 tests/data/onnx/make_ml_models.py
"""
import os
import shutil

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from sklearn import linear_model, preprocessing, svm
from sklearn.datasets import load_iris
from sklearn.impute import SimpleImputer

HERE = os.path.dirname(os.path.abspath(__file__))
ML = "ai.onnx.ml"
F, I64, I32, F64, S = (TensorProto.FLOAT, TensorProto.INT64, TensorProto.INT32,
                       TensorProto.DOUBLE, TensorProto.STRING)
NP = {F: np.float32, I64: np.int64, I32: np.int32, F64: np.float64, S: object}


def value(name, elem, shape):
    return helper.make_tensor_value_info(name, elem, shape)


def zipmap_output(name):
    """A seq(map(int64, float)) output declaration (ONNX 1.12's helper has no map types)."""
    vi = onnx.ValueInfoProto()
    vi.name = name
    m = vi.type.sequence_type.elem_type.map_type
    m.key_type = TensorProto.INT64
    m.value_type.tensor_type.elem_type = TensorProto.FLOAT
    return vi


def save(name, nodes, inputs, outputs, feeds, expected, ml_opset=1, opset=13, inits=()):
    """Writes tests/data/onnx/<name> (ml/... by default): the model and one data set."""
    if "/" not in name:
        name = "ml/" + name
    graph = helper.make_graph(nodes, name, inputs, outputs, initializer=list(inits))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset),
                                                    helper.make_opsetid(ML, ml_opset)])
    model.ir_version = 8
    folder = os.path.join(HERE, name)
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(os.path.join(folder, "test_data_set_0"))
    onnx.save(model, os.path.join(folder, "model.onnx"))
    for prefix, arrays in (("input", feeds), ("output", expected)):
        for k, a in enumerate(arrays):
            t = numpy_helper.from_array(np.asarray(a), "%s_%d" % (prefix, k))
            path = os.path.join(folder, "test_data_set_0", "%s_%d.pb" % (prefix, k))
            with open(path, "wb") as f:
                f.write(t.SerializeToString())


def strings(*items):
    return np.array([s.encode() for s in items], dtype=object)


# ----------------------------------------------------------------------------------------------
# Data
# ----------------------------------------------------------------------------------------------

IRIS_X, IRIS_Y = load_iris(return_X_y=True)
IRIS_X = IRIS_X.astype(np.float32)
ROWS = IRIS_X[::15]  # 10 rows across the three classes
RNG = np.random.default_rng(7)


# ----------------------------------------------------------------------------------------------
# Pre-processing
# ----------------------------------------------------------------------------------------------

def scalers():
    sc = preprocessing.StandardScaler().fit(IRIS_X)
    node = helper.make_node("Scaler", ["X"], ["Y"], domain=ML, offset=sc.mean_.astype(np.float32),
                            scale=(1 / sc.scale_).astype(np.float32))
    save("scaler_standard", [node], [value("X", F, ["N", 4])], [value("Y", F, ["N", 4])], [ROWS],
         [sc.transform(ROWS).astype(np.float32)])
    x = np.array([[1, 2, 3], [-4, 5, 6]], np.int64)
    node = helper.make_node("Scaler", ["X"], ["Y"], domain=ML, offset=[1.5], scale=[0.5])
    save("scaler_int64_single", [node], [value("X", I64, [2, 3])], [value("Y", F, [2, 3])], [x],
         [((x - 1.5) * 0.5).astype(np.float32)])


def normalizers():
    x = RNG.normal(size=(4, 5)).astype(np.float32)
    x[2] = 0  # a zero row stays as it is
    for norm in ("L1", "L2"):
        node = helper.make_node("Normalizer", ["X"], ["Y"], domain=ML, norm=norm)
        want = preprocessing.Normalizer(norm=norm.lower()).transform(x)
        save("normalizer_" + norm.lower(), [node], [value("X", F, ["N", 5])],
             [value("Y", F, ["N", 5])], [x], [want.astype(np.float32)])
    xi = np.array([[1, 4, 2], [-3, -1, -2]], np.int32)
    node = helper.make_node("Normalizer", ["X"], ["Y"], domain=ML, norm="MAX")
    mx = xi.max(axis=1, keepdims=True).astype(np.float32)
    save("normalizer_max_int32", [node], [value("X", I32, [2, 3])], [value("Y", F, [2, 3])], [xi],
         [(xi / mx).astype(np.float32)])
    x3 = RNG.normal(size=(2, 3, 2)).astype(np.float64)  # normalized along dimension 1
    node = helper.make_node("Normalizer", ["X"], ["Y"], domain=ML, norm="L2")
    want = x3 / np.sqrt((x3 ** 2).sum(axis=1, keepdims=True))
    save("normalizer_l2_rank3_double", [node], [value("X", F64, [2, 3, 2])],
         [value("Y", F, [2, 3, 2])], [x3], [want.astype(np.float32)])


def binarizers():
    x = RNG.normal(size=(3, 4)).astype(np.float32)
    node = helper.make_node("Binarizer", ["X"], ["Y"], domain=ML)  # threshold 0.0
    want = preprocessing.Binarizer(threshold=0.0).transform(x)
    save("binarizer_default", [node], [value("X", F, [3, 4])], [value("Y", F, [3, 4])], [x], [want])
    xi = np.array([-2, 0, 1, 2, 3], np.int32)
    node = helper.make_node("Binarizer", ["X"], ["Y"], domain=ML, threshold=1.5)
    save("binarizer_int32", [node], [value("X", I32, [5])], [value("Y", I32, [5])], [xi],
         [(xi > 1.5).astype(np.int32)])


def imputers():
    x = RNG.normal(size=(6, 3)).astype(np.float32)
    x[1, 0] = x[3, 2] = x[4, 1] = np.nan
    imp = SimpleImputer(strategy="mean").fit(x)
    node = helper.make_node("Imputer", ["X"], ["Y"], domain=ML,
                            imputed_value_floats=imp.statistics_.astype(np.float32),
                            replaced_value_float=float("nan"))
    save("imputer_nan_mean", [node], [value("X", F, ["N", 3])], [value("Y", F, ["N", 3])], [x],
         [imp.transform(x).astype(np.float32)])
    xi = np.array([[1, -1, 3], [-1, 5, -1]], np.int64)
    node = helper.make_node("Imputer", ["X"], ["Y"], domain=ML, imputed_value_int64s=[0],
                            replaced_value_int64=-1)
    save("imputer_int64_single", [node], [value("X", I64, [2, 3])], [value("Y", I64, [2, 3])],
         [xi], [np.where(xi == -1, 0, xi)])


def one_hot_encoders():
    cats = ["red", "green", "blue"]
    x = strings("green", "red", "violet", "blue").reshape(2, 2)
    node = helper.make_node("OneHotEncoder", ["X"], ["Y"], domain=ML, cats_strings=cats)
    want = np.zeros((2, 2, 3), np.float32)
    for i, s in enumerate(x.reshape(-1)):
        if s.decode() in cats:
            want.reshape(4, 3)[i, cats.index(s.decode())] = 1
    save("one_hot_encoder_strings", [node], [value("X", S, [2, 2])], [value("Y", F, [2, 2, 3])],
         [x], [want])
    xf = np.array([[3.7], [1.0], [2.2], [9.0]], np.float32)  # truncated to 3, 1, 2, 9
    node = helper.make_node("OneHotEncoder", ["X"], ["Y"], domain=ML, cats_int64s=[1, 2, 3])
    enc = preprocessing.OneHotEncoder(categories=[[1, 2, 3]], handle_unknown="ignore")
    want = enc.fit(np.array([[1]])).transform(xf.astype(np.int64)).toarray().astype(np.float32)
    save("one_hot_encoder_float", [node], [value("X", F, [4, 1])], [value("Y", F, [4, 1, 3])],
         [xf], [want.reshape(4, 1, 3)])


def label_encoders():
    classes = ["cat", "dog", "bird"]
    x = strings("dog", "bird", "fish", "cat")
    node = helper.make_node("LabelEncoder", ["X"], ["Y"], domain=ML, classes_strings=classes,
                            default_int64=99)
    save("label_encoder_v1_string_int", [node], [value("X", S, [4])], [value("Y", I64, [4])], [x],
         [np.array([1, 2, 99, 0], np.int64)])
    xi = np.array([[2, 0], [7, -1]], np.int64)
    node = helper.make_node("LabelEncoder", ["X"], ["Y"], domain=ML, classes_strings=classes)
    save("label_encoder_v1_int_string", [node], [value("X", I64, [2, 2])], [value("Y", S, [2, 2])],
         [xi], [strings("bird", "cat", "_Unused", "_Unused").reshape(2, 2)])
    xf = np.array([0.5, float("nan"), -0.0, 3.0], np.float32)
    node = helper.make_node("LabelEncoder", ["X"], ["Y"], domain=ML,
                            keys_floats=[0.5, float("nan"), 0.0], values_int64s=[10, 20, 30])
    save("label_encoder_v2_float_int", [node], [value("X", F, [4])], [value("Y", I64, [4])], [xf],
         [np.array([10, 20, 30, -1], np.int64)], ml_opset=2)
    x = strings("b", "a", "z")
    node = helper.make_node("LabelEncoder", ["X"], ["Y"], domain=ML, keys_strings=["a", "b"],
                            values_floats=[1.5, 2.5], default_float=7.0)
    save("label_encoder_v2_string_float", [node], [value("X", S, [3])], [value("Y", F, [3])], [x],
         [np.array([2.5, 1.5, 7.0], np.float32)], ml_opset=2)
    xi = np.array([4, 5, 6], np.int64)
    node = helper.make_node("LabelEncoder", ["X"], ["Y"], domain=ML, keys_int64s=[5, 4],
                            values_strings=["five", "four"], default_string="none")
    save("label_encoder_v2_int_string", [node], [value("X", I64, [3])], [value("Y", S, [3])], [xi],
         [strings("four", "five", "none")], ml_opset=2)
    xi32 = np.array([3, 1, 2], np.int32)
    node = helper.make_node(
        "LabelEncoder", ["X"], ["Y"], domain=ML,
        keys_tensor=numpy_helper.from_array(np.array([1, 2], np.int32), "keys"),
        values_tensor=numpy_helper.from_array(np.array([0.25, 0.75]), "values"),
        default_tensor=numpy_helper.from_array(np.array([-9.0]), "default"))
    save("label_encoder_v4_tensors", [node], [value("X", I32, [3])], [value("Y", F64, [3])],
         [xi32], [np.array([-9.0, 0.25, 0.75])], ml_opset=4)


def array_feature_extractors():
    x = strings("a", "b", "c", "d", "e", "f").reshape(2, 3)
    node = helper.make_node("ArrayFeatureExtractor", ["X", "Y"], ["Z"], domain=ML)
    idx = np.array([2, 0, 2], np.int64)
    save("array_feature_extractor_strings", [node],
         [value("X", S, [2, 3]), value("Y", I64, [3])], [value("Z", S, [2, 3])], [x, idx],
         [x[:, idx]])
    x1 = np.array([10, 20, 30, 40], np.int64)
    save("array_feature_extractor_vector", [node],
         [value("X", I64, [4]), value("Y", I64, [2])], [value("Z", I64, [1, 2])],
         [x1, np.array([3, 1], np.int64)], [x1[[3, 1]].reshape(1, 2)])


# ----------------------------------------------------------------------------------------------
# Linear models
# ----------------------------------------------------------------------------------------------

def linear_regressors():
    yy = np.stack([IRIS_X[:, 0] * 2 - IRIS_X[:, 3], IRIS_X[:, 1] + IRIS_Y], axis=1)
    reg = linear_model.LinearRegression().fit(IRIS_X[:, 1:], yy)
    node = helper.make_node("LinearRegressor", ["X"], ["Y"], domain=ML, targets=2,
                            coefficients=reg.coef_.astype(np.float32).reshape(-1),
                            intercepts=reg.intercept_.astype(np.float32))
    x = ROWS[:, 1:]
    save("linear_regressor_two_targets", [node], [value("X", F, ["N", 3])],
         [value("Y", F, ["N", 2])], [x], [reg.predict(x).astype(np.float32)])
    reg = linear_model.Ridge(alpha=0.5).fit(IRIS_X[:, :3], IRIS_X[:, 3])
    node = helper.make_node("LinearRegressor", ["X"], ["Y"], domain=ML,
                            coefficients=reg.coef_.astype(np.float32),
                            intercepts=[np.float32(reg.intercept_)])
    xd = ROWS[:, :3].astype(np.float64)
    save("linear_regressor_double", [node], [value("X", F64, ["N", 3])],
         [value("Y", F, ["N", 1])], [xd], [reg.predict(xd).astype(np.float32).reshape(-1, 1)])


def linear_classifiers():
    # Multinomial logistic regression: SOFTMAX of the class scores.
    lr = linear_model.LogisticRegression(max_iter=1000).fit(IRIS_X, IRIS_Y)
    labels = ["setosa", "versicolor", "virginica"]
    node = helper.make_node("LinearClassifier", ["X"], ["label", "proba"], domain=ML,
                            coefficients=lr.coef_.astype(np.float32).reshape(-1),
                            intercepts=lr.intercept_.astype(np.float32),
                            classlabels_strings=labels, post_transform="SOFTMAX", multi_class=1)
    save("linear_classifier_softmax_strings", [node], [value("X", F, ["N", 4])],
         [value("label", S, ["N"]), value("proba", F, ["N", 3])], [ROWS],
         [strings(*[labels[k] for k in lr.predict(ROWS)]), lr.predict_proba(ROWS).astype(np.float32)])
    # Binary logistic regression as exporters write it: rows -w and w, LOGISTIC.
    yb = (IRIS_Y == 2).astype(np.int64)
    lr = linear_model.LogisticRegression(max_iter=1000).fit(IRIS_X, yb)
    w, b = lr.coef_.astype(np.float32)[0], np.float32(lr.intercept_[0])
    node = helper.make_node("LinearClassifier", ["X"], ["label", "proba"], domain=ML,
                            coefficients=np.concatenate([-w, w]), intercepts=[-b, b],
                            classlabels_ints=[0, 1], post_transform="LOGISTIC")
    xi = ROWS.round().astype(np.int64)  # int64 features
    save("linear_classifier_binary_logistic_int64", [node], [value("X", I64, ["N", 4])],
         [value("label", I64, ["N"]), value("proba", F, ["N", 2])], [xi],
         [lr.predict(xi), lr.predict_proba(xi).astype(np.float32)])
    # One coefficient row and two labels: Z = [1 - s, s], label by the sign of s.
    node = helper.make_node("LinearClassifier", ["X"], ["label", "scores"], domain=ML,
                            coefficients=w, intercepts=[b], classlabels_ints=[4, 7])
    s = ROWS @ w + b
    save("linear_classifier_one_row", [node], [value("X", F, ["N", 4])],
         [value("label", I64, ["N"]), value("scores", F, ["N", 2])], [ROWS],
         [np.where(s > 0, 7, 4).astype(np.int64), np.stack([1 - s, s], 1).astype(np.float32)])
    # A classifier followed by ZipMap: ferry serves the probability tensor.
    lr = linear_model.LogisticRegression(max_iter=1000).fit(IRIS_X, IRIS_Y)
    nodes = [helper.make_node("LinearClassifier", ["X"], ["label", "proba"], domain=ML,
                              coefficients=lr.coef_.astype(np.float32).reshape(-1),
                              intercepts=lr.intercept_.astype(np.float32),
                              classlabels_ints=[0, 1, 2], post_transform="SOFTMAX"),
             helper.make_node("ZipMap", ["proba"], ["probabilities"], domain=ML,
                              classlabels_int64s=[0, 1, 2])]
    save("zipmap_after_classifier", nodes, [value("X", F, ["N", 4])],
         [value("label", I64, ["N"]), zipmap_output("probabilities")], [ROWS],
         [lr.predict(ROWS), lr.predict_proba(ROWS).astype(np.float32)])


# ----------------------------------------------------------------------------------------------
# SVMs
# ----------------------------------------------------------------------------------------------

KERNEL_ARGS = {"linear": {}, "rbf": {"gamma": 0.3}, "poly": {"gamma": 0.3, "coef0": 0.5, "degree": 3},
               "sigmoid": {"gamma": 0.02, "coef0": -0.5}}


def kernel_params(clf):
    return [float(clf._gamma), float(clf.coef0), float(clf.degree)]


def svc_attrs(clf, flip=1.0):
    """SVMClassifier attributes of a fitted SVC; flip=-1 for two classes, where scikit-learn negates
    libsvm's dual coefficients and intercepts."""
    attrs = dict(kernel_type=clf.kernel.upper(), kernel_params=kernel_params(clf),
                 support_vectors=clf.support_vectors_.astype(np.float32).reshape(-1),
                 coefficients=(flip * clf.dual_coef_).astype(np.float32).reshape(-1),
                 vectors_per_class=[int(v) for v in clf.n_support_],
                 rho=(flip * clf.intercept_).astype(np.float32))
    if clf.probability:
        attrs.update(prob_a=clf.probA_.astype(np.float32), prob_b=clf.probB_.astype(np.float32))
    return attrs


def svm_classifiers():
    for kernel in ("linear", "rbf", "poly", "sigmoid"):
        # Three classes with probabilities: labels by votes, Z the coupled probabilities.
        clf = svm.SVC(kernel=kernel, probability=True, random_state=0, **KERNEL_ARGS[kernel])
        clf.fit(IRIS_X, IRIS_Y)
        node = helper.make_node("SVMClassifier", ["X"], ["label", "proba"], domain=ML,
                                classlabels_ints=[0, 1, 2], **svc_attrs(clf))
        votes = svm.SVC(kernel=kernel, **KERNEL_ARGS[kernel]).fit(IRIS_X, IRIS_Y)
        save("svm_classifier_%s_proba" % kernel, [node], [value("X", F, ["N", 4])],
             [value("label", I64, ["N"]), value("proba", F, ["N", 3])], [ROWS],
             [votes.predict(ROWS), clf.predict_proba(ROWS).astype(np.float32)])
        # Three classes without: Z holds the one-vs-one decision values.
        clf = svm.SVC(kernel=kernel, decision_function_shape="ovo", **KERNEL_ARGS[kernel])
        clf.fit(IRIS_X, IRIS_Y)
        node = helper.make_node("SVMClassifier", ["X"], ["label", "scores"], domain=ML,
                                classlabels_strings=["a", "b", "c"], **svc_attrs(clf))
        save("svm_classifier_%s_ovo" % kernel, [node], [value("X", F, ["N", 4])],
             [value("label", S, ["N"]), value("scores", F, ["N", 3])], [ROWS],
             [strings(*["abc"[k] for k in clf.predict(ROWS)]),
              clf.decision_function(ROWS).astype(np.float32)])
    # Two classes without probabilities: Z = [-d, d] for libsvm's decision value d, which is
    # scikit-learn's decision_function negated.
    yb = (IRIS_Y == 1).astype(np.int64)
    clf = svm.SVC(kernel="rbf", gamma=0.3).fit(IRIS_X, yb)
    node = helper.make_node("SVMClassifier", ["X"], ["label", "scores"], domain=ML,
                            classlabels_ints=[0, 1], **svc_attrs(clf, flip=-1.0))
    d = clf.decision_function(ROWS).astype(np.float32)
    save("svm_classifier_binary_scores", [node], [value("X", F, ["N", 4])],
         [value("label", I64, ["N"]), value("scores", F, ["N", 2])], [ROWS],
         [clf.predict(ROWS), np.stack([d, -d], 1)])
    # Two classes with probabilities, double input.
    clf = svm.SVC(kernel="rbf", gamma=0.3, probability=True, random_state=0).fit(IRIS_X, yb)
    node = helper.make_node("SVMClassifier", ["X"], ["label", "proba"], domain=ML,
                            classlabels_ints=[0, 1], **svc_attrs(clf, flip=-1.0))
    votes = svm.SVC(kernel="rbf", gamma=0.3).fit(IRIS_X, yb)
    save("svm_classifier_binary_proba_double", [node], [value("X", F64, ["N", 4])],
         [value("label", I64, ["N"]), value("proba", F, ["N", 2])], [ROWS.astype(np.float64)],
         [votes.predict(ROWS), clf.predict_proba(ROWS).astype(np.float32)])
    # liblinear mode (no support vectors): Z = X . coefficients[c] + rho[0], SOFTMAX.
    coef = RNG.normal(size=(3, 4)).astype(np.float32)
    node = helper.make_node("SVMClassifier", ["X"], ["label", "scores"], domain=ML,
                            classlabels_ints=[5, 6, 7], coefficients=coef.reshape(-1), rho=[0.25],
                            post_transform="SOFTMAX")
    z = ROWS @ coef.T + np.float32(0.25)
    e = np.exp(z - z.max(axis=1, keepdims=True))
    save("svm_classifier_liblinear_softmax", [node], [value("X", F, ["N", 4])],
         [value("label", I64, ["N"]), value("scores", F, ["N", 3])], [ROWS],
         [np.array([5, 6, 7])[z.argmax(axis=1)], (e / e.sum(axis=1, keepdims=True)).astype(np.float32)])


def svm_regressors():
    target = IRIS_X[:, 3] * 1.5 - IRIS_X[:, 0] * 0.2
    for kernel in ("linear", "rbf", "poly", "sigmoid"):
        reg = svm.SVR(kernel=kernel, C=2.0, epsilon=0.05, **KERNEL_ARGS[kernel])
        reg.fit(IRIS_X, target)
        node = helper.make_node("SVMRegressor", ["X"], ["Y"], domain=ML,
                                kernel_type=kernel.upper(), kernel_params=kernel_params(reg),
                                support_vectors=reg.support_vectors_.astype(np.float32).reshape(-1),
                                coefficients=reg.dual_coef_.astype(np.float32).reshape(-1),
                                n_supports=len(reg.support_vectors_),
                                rho=reg.intercept_.astype(np.float32))
        save("svm_regressor_%s" % kernel, [node], [value("X", F, ["N", 4])],
             [value("Y", F, ["N", 1])], [ROWS], [reg.predict(ROWS).astype(np.float32).reshape(-1, 1)])
    oc = svm.OneClassSVM(kernel="rbf", gamma=0.5, nu=0.2).fit(IRIS_X)
    node = helper.make_node("SVMRegressor", ["X"], ["Y"], domain=ML, kernel_type="RBF",
                            kernel_params=kernel_params(oc),
                            support_vectors=oc.support_vectors_.astype(np.float32).reshape(-1),
                            coefficients=oc.dual_coef_.astype(np.float32).reshape(-1),
                            n_supports=len(oc.support_vectors_), one_class=1,
                            rho=oc.intercept_.astype(np.float32))
    x = np.concatenate([ROWS, [[9, 0, 9, 0]]]).astype(np.float32)
    save("svm_regressor_one_class", [node], [value("X", F, ["N", 4])], [value("Y", F, ["N", 1])],
         [x], [oc.predict(x).astype(np.float32).reshape(-1, 1)])
    # Linear mode (n_supports 0): Y = X . coefficients + rho[0], int32 input.
    xi = np.array([[1, 2], [3, -4]], np.int32)
    node = helper.make_node("SVMRegressor", ["X"], ["Y"], domain=ML, coefficients=[0.5, -1.0],
                            rho=[2.0])
    save("svm_regressor_linear_mode", [node], [value("X", I32, [2, 2])], [value("Y", F, [2, 1])],
         [xi], [(xi @ np.array([0.5, -1.0]) + 2.0).astype(np.float32).reshape(-1, 1)])


# ----------------------------------------------------------------------------------------------
# Models to refuse
# ----------------------------------------------------------------------------------------------

def invalid():
    """Each folder's name says what is wrong; tests/unit/onnx/ml_ops.c lists the errors."""
    x4 = value("X", F, ["N", 4])
    def bad(name, node, inputs=(x4,), outputs=None, feeds=(), ml_opset=1):
        outputs = outputs or [value(o, F, None) for o in node.output]
        save("ml_invalid/" + name, [node], list(inputs), outputs, list(feeds), [], ml_opset)
    bad("linear_classifier_coefficients", helper.make_node(
        "LinearClassifier", ["X"], ["label", "scores"], domain=ML, coefficients=[1.0] * 5,
        intercepts=[0.0] * 3, classlabels_ints=[0, 1, 2]),
        outputs=[value("label", I64, None), value("scores", F, None)])
    bad("linear_classifier_post_transform", helper.make_node(
        "LinearClassifier", ["X"], ["label", "scores"], domain=ML, coefficients=[1.0] * 8,
        classlabels_ints=[0, 1], post_transform="SIGMOID"),
        outputs=[value("label", I64, None), value("scores", F, None)])
    bad("label_encoder_lengths", helper.make_node(
        "LabelEncoder", ["X"], ["Y"], domain=ML, keys_int64s=[1, 2, 3], values_int64s=[1, 2]),
        inputs=[value("X", I64, [3])], outputs=[value("Y", I64, [3])], ml_opset=2)
    bad("label_encoder_input_dtype", helper.make_node(
        "LabelEncoder", ["X"], ["Y"], domain=ML, keys_int64s=[1, 2], values_int64s=[1, 2]),
        inputs=[value("X", F, [3])], outputs=[value("Y", I64, [3])], ml_opset=2)
    bad("normalizer_norm", helper.make_node("Normalizer", ["X"], ["Y"], domain=ML, norm="L3"))
    bad("imputer_both_lists", helper.make_node(
        "Imputer", ["X"], ["Y"], domain=ML, imputed_value_floats=[1.0], imputed_value_int64s=[1]))
    bad("svm_classifier_probit_binary", helper.make_node(
        "SVMClassifier", ["X"], ["label", "scores"], domain=ML, classlabels_ints=[0, 1],
        support_vectors=[0.0] * 8, vectors_per_class=[1, 1], coefficients=[1.0, -1.0], rho=[0.0],
        post_transform="PROBIT"), outputs=[value("label", I64, None), value("scores", F, None)])
    bad("svm_regressor_features", helper.make_node(
        "SVMRegressor", ["X"], ["Y"], domain=ML, support_vectors=[0.0] * 6, n_supports=2,
        coefficients=[1.0, 1.0], rho=[0.0]))
    bad("array_feature_extractor_index", helper.make_node(
        "ArrayFeatureExtractor", ["X", "Y"], ["Z"], domain=ML),
        inputs=[value("X", F, [2, 3]), value("Y", I64, [2])], outputs=[value("Z", F, [2, 2])],
        feeds=[np.zeros((2, 3), np.float32), np.array([1, 3], np.int64)])
    bad("one_hot_encoder_unknown", helper.make_node(
        "OneHotEncoder", ["X"], ["Y"], domain=ML, cats_strings=["a", "b"], zeros=0),
        inputs=[value("X", S, [2])], outputs=[value("Y", F, [2, 2])], feeds=[strings("a", "c")])


# ----------------------------------------------------------------------------------------------
# String tensors
# ----------------------------------------------------------------------------------------------

def string_models():
    odd = np.array(["", "a\0b".encode().decode("unicode_escape").encode(), "héllo wörld".encode(),
                    b"x" * 300], dtype=object)
    # An input passed straight through, through Identity, and compared with an initializer.
    nodes = [helper.make_node("Identity", ["X"], ["same"]),
             helper.make_node("Equal", ["X", "C"], ["is_a"]),
             helper.make_node("Identity", ["C"], ["constant"])]
    save("strings/pass_through", nodes, [value("X", S, ["N"])],
         [value("X", S, ["N"]), value("same", S, ["N"]), value("is_a", TensorProto.BOOL, ["N"]),
          value("constant", S, [1])], [odd],
         [odd, odd, np.array([False, True, False, False]), strings("a\0b".encode().decode("unicode_escape"))],
         inits=[numpy_helper.from_array(np.array([odd[1]], dtype=object), "C")])
    # Strings through an ML pipeline: ArrayFeatureExtractor then LabelEncoder to ints.
    x = strings("small", "large", "medium", "large", "tiny", "small").reshape(2, 3)
    nodes = [helper.make_node("ArrayFeatureExtractor", ["X", "cols"], ["picked"], domain=ML),
             helper.make_node("LabelEncoder", ["picked"], ["Y"], domain=ML,
                              keys_strings=["small", "medium", "large"], values_int64s=[1, 2, 3])]
    save("strings/feature_pipeline", nodes, [value("X", S, ["N", 3])], [value("Y", I64, ["N", 2])],
         [x], [np.array([[2, 3], [1, -1]], np.int64)], ml_opset=2,
         inits=[numpy_helper.from_array(np.array([2, 1], np.int64), "cols")])


def main():
    for sub in ("ml", "ml_invalid", "strings"):
        shutil.rmtree(os.path.join(HERE, sub), ignore_errors=True)
    scalers()
    normalizers()
    binarizers()
    imputers()
    one_hot_encoders()
    label_encoders()
    array_feature_extractors()
    linear_regressors()
    linear_classifiers()
    svm_classifiers()
    svm_regressors()
    invalid()
    string_models()
    for sub in ("ml", "strings"):
        for folder in sorted(os.listdir(os.path.join(HERE, sub))):
            path = os.path.join(HERE, sub, folder, "model.onnx")
            if "v4" not in folder:  # ONNX 1.12 knows ai.onnx.ml up to opset 3
                onnx.checker.check_model(onnx.load(path))


if __name__ == "__main__":
    main()
