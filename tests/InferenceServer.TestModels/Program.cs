using InferenceServer.TestModels;

// Writes a test model: `dotnet run --project tests/InferenceServer.TestModels -- OUT.onnx [layout] [size]`.
if (args.Length < 1)
{
    Console.Error.WriteLine("usage: InferenceServer.TestModels OUT.onnx [yolov8|yolov5|yolox|end2end|rtdetr] [size]");
    return 2;
}

var layout = args.Length > 1 ? Enum.Parse<OutputLayout>(args[1], ignoreCase: true) : OutputLayout.YoloV8;
int size = args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 320;
string[] names = ["circle", "square", "triangle"];
var bytes = BrightBoxModel.Build(layout, size, size, dynamicBatch: true, threshold: 0.5f, names: names, classCount: names.Length, hitClass: 1);
File.WriteAllBytes(args[0], bytes);
Console.WriteLine($"wrote {args[0]} ({bytes.Length} bytes, {layout}, {size}x{size})");
return 0;
