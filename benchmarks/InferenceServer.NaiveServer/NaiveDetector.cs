using Google.Protobuf;
using Grpc.Core;
using InferenceServer.Core.Detection;
using InferenceServer.Core.Imaging;
using InferenceServer.Core.Inference;
using InferenceServer.Protos.Detection.V1;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using OpenCvSharp;

namespace InferenceServer.NaiveServer;

/// <summary>
/// The server a user would write by hand: per request, decode the image, letterbox it, build a new input
/// tensor, call InferenceSession.Run synchronously (no batching, no pipelining, no pooled buffers), decode + NMS.
/// The decoder and NMS are the same code as InferenceServer's, so results are identical and only the serving
/// architecture differs.
/// </summary>
internal sealed class NaiveDetector : Detector.DetectorBase
{
    private readonly InferenceSession _session;
    private readonly DetectionModel _info;

    public NaiveDetector(InferenceSession session, DetectionModel info)
    {
        _session = session;
        _info = info;
    }

    public override Task<DetectResponse> Detect(DetectRequest request, ServerCallContext context)
    {
        var sig = _info.Signature;
        using var image = Cv2.ImDecode(request.Image.Encoded.ToByteArray(), ImreadModes.Color);
        if (image.Empty())
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "bad image"));
        }

        var input = new DenseTensor<float>([1, 3, sig.InputHeight, sig.InputWidth]);
        using var scratch = new PreprocessScratch();
        var transform = TensorPacker.Pack(image, _info.Preprocess, sig.InputWidth, sig.InputHeight, input.Buffer.Span, scratch);
        using var results = _session.Run([NamedOnnxValue.CreateFromTensor(sig.InputName, input)]);
        var output = results.First().AsTensor<float>().ToArray();

        var kept = new List<Core.Detection.Detection>();
        _info.Postprocessor.Process(output, transform, _info.Defaults, [], kept);
        var response = new DetectResponse { Model = _info.Name, Version = "naive", Width = image.Width, Height = image.Height };
        foreach (var d in kept)
        {
            response.Detections.Add(new Protos.Detection.V1.Detection
            {
                Label = _info.Label(d.ClassId),
                ClassId = d.ClassId,
                Score = d.Score,
                Box = new Box { X1 = d.X1, Y1 = d.Y1, X2 = d.X2, Y2 = d.Y2 },
            });
        }

        response.Timings = new Protos.Detection.V1.StageTimings();
        return Task.FromResult(response);
    }
}
