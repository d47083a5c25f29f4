"""A stand-in for YOLOv5s with the real model's interface, for tests.

Input `images` float32 [1, 3, 640, 640], output `output0` float32 [1, 25200, 85]
(the official export's names and shapes). The output is a fixed tensor (plus
0 x the input's mean, so the input is really consumed) holding a handful of
hand-placed rows: the post-processing under test (confidence filter, class
scores, NMS, box scaling) must turn them into exactly the expected detections.

Usage: python make-test-model.py OUT.onnx
"""
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ROWS, COLS = 25200, 85
PERSON, DOG = 0, 16

# (cx, cy, w, h, objectness, class, class score), in 640x640 model pixels.
PLACED = [
    (320, 320, 100, 200, 0.90, PERSON, 0.95),  # kept: 0.855
    (325, 322, 100, 200, 0.80, PERSON, 0.90),  # same person, IoU > 0.45: suppressed
    (100, 400, 80, 60, 0.70, DOG, 0.90),  # kept: 0.63
    (500, 300, 50, 100, 0.60, PERSON, 0.80),  # kept: 0.48, no overlap
    (200, 200, 40, 40, 0.20, DOG, 0.99),  # objectness under 0.25: dropped
    (400, 500, 40, 40, 0.50, DOG, 0.40),  # 0.5 x 0.4 = 0.20 under 0.25: dropped
]


def main(out: str) -> None:
    table = np.zeros((1, ROWS, COLS), dtype=np.float32)
    # Spread over the three strides' ranges, as real anchors are.
    for (cx, cy, w, h, obj, cls, score), row in zip(PLACED, [0, 9000, 19000, 25199, 5, 12345]):
        table[0, row, :5] = [cx, cy, w, h, obj]
        table[0, row, 5 + cls] = score
    graph = helper.make_graph(
        [
            helper.make_node("ReduceMean", ["images"], ["mean"], axes=[1, 2, 3], keepdims=0),
            helper.make_node("Mul", ["mean", "zero"], ["nothing"]),
            helper.make_node("Add", ["table", "nothing"], ["output0"]),
        ],
        "yolov5-stand-in",
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, 640, 640])],
        [helper.make_tensor_value_info("output0", TensorProto.FLOAT, [1, ROWS, COLS])],
        initializer=[numpy_helper.from_array(table, "table"), numpy_helper.from_array(np.zeros((1,), dtype=np.float32), "zero")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="platform-tests")
    # An IR version every ONNX Runtime release of the last years reads.
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, out)


if __name__ == "__main__":
    main(sys.argv[1])
