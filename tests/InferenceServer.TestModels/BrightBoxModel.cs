namespace InferenceServer.TestModels;

/// <summary>
/// Builds a real ONNX detector that finds the bounding box of the bright pixels in its input (mean over channels
/// above a threshold) and reports it in a chosen detector layout with a fixed class and score. Because the box is
/// computed from the pixels the model sees, a test can draw a bright rectangle on any image and check the whole
/// path (decode → letterbox → ONNX Runtime → decoder → NMS → original coordinates) against where it drew it.
/// </summary>
public static class BrightBoxModel
{
    /// <param name="threshold">Brightness threshold in the model's input scale (0.5 for /255 inputs, 127.5 for 0..255).</param>
    /// <param name="names">Class names written as Ultralytics metadata (null: no metadata).</param>
    /// <param name="classCount">Number of classes the output scores.</param>
    /// <param name="hitClass">Class given score <paramref name="score"/>; the others get 0.1.</param>
    public static byte[] Build(
        OutputLayout layout, int width, int height, bool dynamicBatch = true, float threshold = 0.5f,
        string[]? names = null, int classCount = 2, int hitClass = 1, float score = 0.9f)
    {
        var g = new GraphBuilder();
        object batch = dynamicBatch ? "batch" : 1;
        string images = g.Input("images", batch, 3, height, width);
        string gray = g.Node("ReduceMean", [images], ("axes", new long[] { 1 }), ("keepdims", 0L));
        string cols = g.Node("ReduceMax", [gray], ("axes", new long[] { 1 }), ("keepdims", 0L));
        string rows = g.Node("ReduceMax", [gray], ("axes", new long[] { 2 }), ("keepdims", 0L));
        string thr = g.Scalar(threshold);
        string colMask = g.Node("Cast", [g.Node("Greater", [cols, thr])], ("to", 1L));
        string rowMask = g.Node("Cast", [g.Node("Greater", [rows, thr])], ("to", 1L));
        string one = g.Scalar(1f);
        string half = g.Scalar(0.5f);
        string zero = g.Scalar(0f);

        string First(string mask) => g.Node("Cast", [g.Node("ArgMax", [mask], ("axis", 1L), ("keepdims", 1L))], ("to", 1L));
        string Last(string mask) => g.Node("Add", [g.Node("Cast", [g.Node("ArgMax", [mask], ("axis", 1L), ("keepdims", 1L), ("select_last_index", 1L))], ("to", 1L)), one]);

        string x1 = First(colMask);
        string x2 = Last(colMask);
        string y1 = First(rowMask);
        string y2 = Last(rowMask);
        string cx = g.Node("Mul", [g.Node("Add", [x1, x2]), half]);
        string cy = g.Node("Mul", [g.Node("Add", [y1, y2]), half]);
        string w = g.Node("Sub", [x2, x1]);
        string h = g.Node("Sub", [y2, y1]);
        string zeros = g.Node("Mul", [x1, zero]); // [B,1], to broadcast constants to the batch.
        string Const(float v, string like) => g.Node("Add", [g.Node("Mul", [like, zero]), g.Scalar(v)]);
        string[] Scores(string like, float hit) =>
            Enumerable.Range(0, classCount).Select(c => Const(c == hitClass ? hit : 0.1f, like)).ToArray();

        string outName = layout == OutputLayout.Yolox ? "output" : "output0";
        switch (layout)
        {
            case OutputLayout.YoloV8:
            {
                // [B, 4+nc, 8]: eight identical anchors, which NMS must merge into one detection.
                string column = g.Node("Unsqueeze", [g.Node("Concat", [cx, cy, w, h, .. Scores(zeros, score)], ("axis", 1L)), g.Ints(2)]);
                g.NodeTo("Concat", outName, Enumerable.Repeat(column, 8).ToArray(), ("axis", 2L));
                g.Output(outName, batch, 4 + classCount, 8);
                break;
            }

            case OutputLayout.YoloV5:
            {
                string row = g.Node("Unsqueeze", [g.Node("Concat", [cx, cy, w, h, Const(0.95f, zeros), .. Scores(zeros, score / 0.95f)], ("axis", 1L)), g.Ints(1)]);
                g.NodeTo("Concat", outName, Enumerable.Repeat(row, 4).ToArray(), ("axis", 1L));
                g.Output(outName, batch, 4, 5 + classCount);
                break;
            }

            case OutputLayout.Yolox:
            {
                // Every grid cell encodes the same box relative to itself: x = (ox + gx) * s, w = exp(ow) * s.
                var (strides, gx, gy) = Grid(width, height);
                int n = strides.Length;
                string s = g.Constant(strides, 1, n);
                string gxs = g.Constant(gx, 1, n);
                string gys = g.Constant(gy, 1, n);
                string ox = g.Node("Sub", [g.Node("Div", [cx, s]), gxs]);
                string oy = g.Node("Sub", [g.Node("Div", [cy, s]), gys]);
                string ow = g.Node("Log", [g.Node("Div", [w, s])]);
                string oh = g.Node("Log", [g.Node("Div", [h, s])]);
                string[] parts = [ox, oy, ow, oh, Const(0.95f, ox), .. Scores(ox, score / 0.95f)];
                var expanded = parts.Select(p => g.Node("Unsqueeze", [p, g.Ints(2)])).ToArray();
                g.NodeTo("Concat", outName, expanded, ("axis", 2L));
                g.Output(outName, batch, n, 5 + classCount);
                break;
            }

            case OutputLayout.End2End:
            {
                string hit = g.Node("Unsqueeze", [g.Node("Concat", [x1, y1, x2, y2, Const(score, zeros), Const(hitClass, zeros)], ("axis", 1L)), g.Ints(1)]);
                string weak = g.Node("Unsqueeze", [g.Node("Concat", [x1, y1, x2, y2, Const(0.01f, zeros), Const(0, zeros)], ("axis", 1L)), g.Ints(1)]);
                g.NodeTo("Concat", outName, [hit, weak], ("axis", 1L));
                g.Output(outName, batch, 2, 6);
                break;
            }

            default:
            {
                string nx = g.Node("Div", [cx, g.Scalar(width)]);
                string ny = g.Node("Div", [cy, g.Scalar(height)]);
                string nw = g.Node("Div", [w, g.Scalar(width)]);
                string nh = g.Node("Div", [h, g.Scalar(height)]);
                string hit = g.Node("Unsqueeze", [g.Node("Concat", [nx, ny, nw, nh, .. Scores(zeros, score)], ("axis", 1L)), g.Ints(1)]);
                string weak = g.Node("Unsqueeze", [g.Node("Concat", [nx, ny, nw, nh, .. Enumerable.Range(0, classCount).Select(_ => Const(0.01f, zeros))], ("axis", 1L)), g.Ints(1)]);
                g.NodeTo("Concat", outName, [hit, weak], ("axis", 1L));
                g.Output(outName, batch, 2, 4 + classCount);
                break;
            }
        }

        if (names is not null)
        {
            g.Metadata("names", "{" + string.Join(", ", names.Select((n, i) => n.Contains('\'', StringComparison.Ordinal) ? $"{i}: \"{n}\"" : $"{i}: '{n}'")) + "}");
            g.Metadata("imgsz", $"[{height}, {width}]");
            g.Metadata("stride", "32");
            g.Metadata("task", "detect");
            g.Metadata("end2end", layout == OutputLayout.End2End ? "True" : "False");
        }

        return g.ToBytes();
    }

    private static (float[] Strides, float[] Gx, float[] Gy) Grid(int width, int height)
    {
        var s = new List<float>();
        var gx = new List<float>();
        var gy = new List<float>();
        foreach (int stride in new[] { 8, 16, 32 })
        {
            for (int y = 0; y < height / stride; y++)
            {
                for (int x = 0; x < width / stride; x++)
                {
                    s.Add(stride);
                    gx.Add(x);
                    gy.Add(y);
                }
            }
        }

        return (s.ToArray(), gx.ToArray(), gy.ToArray());
    }
}
