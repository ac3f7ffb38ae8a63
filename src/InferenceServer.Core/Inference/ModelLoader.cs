using System.Diagnostics;
using InferenceServer.Core.Detection;
using InferenceServer.Core.Imaging;
using InferenceServer.Core.Registry;
using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace InferenceServer.Core.Inference;

/// <summary>
/// Loads an ONNX detector: creates its sessions, reads its signature and metadata, picks the decoder,
/// and warms every instance up at batch 1 and at the largest batch. Any problem is a <see cref="ModelLoadException"/>.
/// </summary>
internal static class ModelLoader
{
    public static DetectionModel Load(
        string onnxPath, ModelManifest? manifest, SessionSettings settings, string name, string version, ILogger logger)
    {
        if (settings.Validate() is string settingsError)
        {
            throw new ModelLoadException(settingsError);
        }

        if (!File.Exists(onnxPath))
        {
            throw new ModelLoadException($"Cannot read model file '{onnxPath}': it does not exist.");
        }

        TuningResult? tuning = null;
        if (settings.AutoTune)
        {
            tuning = AutoTuner.Tune(onnxPath, manifest, settings, name, logger);
            settings = settings.With(tuning.Chosen.Instances, tuning.Chosen.Threads, tuning.Chosen.MaxBatch);
            Log.AutoTuned(logger, name, tuning.Chosen.Instances, tuning.Chosen.Threads, tuning.Chosen.MaxBatch, tuning.Chosen.FramesPerSecond,
                tuning.Chosen.BatchP50Ms, tuning.BestOverall.FramesPerSecond, tuning.Grid.Count);
        }

        var sessions = new List<InferenceSession>();
        var instances = new List<ModelInstance>();
        try
        {
            var (first, provider) = CreateSession(onnxPath, settings, name, logger);
            sessions.Add(first);
            var signature = ReadSignature(first, manifest, onnxPath);

            var labels = manifest?.Labels ?? signature.Ultralytics.Names ?? LabelFile.FindBeside(onnxPath);
            Postprocessor postprocessor;
            try
            {
                postprocessor = DecoderSelector.Select(
                    ParseDecoder(manifest?.Decoder), signature.OutputRows, signature.OutputColumns, labels?.Count,
                    signature.Ultralytics.End2End, signature.InputWidth, signature.InputHeight);
            }
            catch (ModelSignatureException ex)
            {
                throw new ModelLoadException($"Model '{name}': {ex.Message}", ex);
            }

            if (labels is not null && postprocessor.Decoder.Kind != DecoderKind.End2End && labels.Count != postprocessor.ClassCount)
            {
                throw new ModelLoadException(
                    $"Model '{name}' has {labels.Count} labels but its output scores {postprocessor.ClassCount} classes.");
            }

            labels ??= Enumerable.Range(0, postprocessor.ClassCount).Select(i => $"class{i}").ToArray();

            int maxBatch = signature.DynamicBatch ? settings.MaxBatchSize : (int)signature.InputShape[0];
            for (int i = 1; i < settings.Instances; i++)
            {
                sessions.Add(CreateSession(onnxPath, settings, name, logger).Session);
            }

            foreach (var session in sessions)
            {
                instances.Add(new ModelInstance(session, signature, maxBatch));
            }

            sessions.Clear(); // Owned by the instances now.
            long warmStart = Stopwatch.GetTimestamp();
            foreach (var instance in instances)
            {
                WarmUp(instance);
            }

            double warmMs = Stopwatch.GetElapsedTime(warmStart).TotalMilliseconds;
            var preprocess = ParsePreprocess(manifest?.Preprocess) ?? DefaultPreprocess(postprocessor.Decoder.Kind);
            var defaults = new PostprocessOptions
            {
                ConfidenceThreshold = manifest?.ConfidenceThreshold ?? PostprocessOptions.Default.ConfidenceThreshold,
                IouThreshold = manifest?.IouThreshold ?? PostprocessOptions.Default.IouThreshold,
                MaxDetections = manifest?.MaxDetections ?? PostprocessOptions.Default.MaxDetections,
            };
            if (defaults.Validate() is string thresholdError)
            {
                throw new ModelLoadException($"Model '{name}' manifest: {thresholdError}");
            }

            Log.ModelLoaded(
                logger, name, version, signature.InputName, string.Join(',', signature.InputShape), signature.InputWidth, signature.InputHeight,
                signature.DynamicBatch ? $"dynamic (max {maxBatch})" : $"fixed {maxBatch}", postprocessor.Decoder.Kind.ToString(),
                postprocessor.ClassCount, instances.Count, warmMs);
            return new DetectionModel(name, version, signature, provider, labels, preprocess, postprocessor, defaults, new InstancePool(instances)) { Tuning = tuning };
        }
        catch
        {
            foreach (var instance in instances)
            {
                instance.Dispose();
            }

            foreach (var session in sessions)
            {
                session.Dispose();
            }

            throw;
        }
    }

    public static DecoderKind? ParseDecoder(string? text) => text?.Trim().ToLowerInvariant() switch
    {
        null or "" or "auto" => null,
        "yolov8" or "yolov9" or "yolo11" or "yolov11" or "yolo12" or "yolov12" or "ultralytics" => DecoderKind.YoloV8,
        "yolov5" => DecoderKind.YoloV5,
        "yolox" => DecoderKind.Yolox,
        "yolox_decoded" => DecoderKind.YoloxDecoded,
        "end2end" or "yolov10" => DecoderKind.End2End,
        "rtdetr" or "rt-detr" => DecoderKind.RtDetr,
        _ => throw new ModelLoadException(
            $"Unknown decoder '{text}' in manifest (expected yolov8, yolov5, yolox, yolox_decoded, end2end or rtdetr)."),
    };

    private static PreprocessSpec? ParsePreprocess(string? text) => text?.Trim().ToLowerInvariant() switch
    {
        null or "" => null,
        "ultralytics" => PreprocessSpec.Ultralytics,
        "yolox" => PreprocessSpec.Yolox,
        "rtdetr" => PreprocessSpec.RtDetr,
        _ => throw new ModelLoadException($"Unknown preprocess '{text}' in manifest (expected ultralytics, yolox or rtdetr)."),
    };

    private static PreprocessSpec DefaultPreprocess(DecoderKind kind) => kind switch
    {
        DecoderKind.Yolox or DecoderKind.YoloxDecoded => PreprocessSpec.Yolox,
        DecoderKind.RtDetr => PreprocessSpec.RtDetr,
        _ => PreprocessSpec.Ultralytics,
    };

    private static (InferenceSession Session, ExecutionProvider Provider) CreateSession(
        string path, SessionSettings settings, string name, ILogger logger)
    {
        try
        {
            return OrtSessionFactory.Create(path, settings, name, logger);
        }
        catch (OnnxRuntimeException ex)
        {
            throw new ModelLoadException($"Model '{name}' is not a loadable ONNX model: {ex.Message}", ex);
        }
    }

    private static ModelSignature ReadSignature(InferenceSession session, ModelManifest? manifest, string path)
    {
        if (session.InputMetadata.Count != 1)
        {
            throw new ModelLoadException($"'{path}': expected exactly one input (an image batch), found {session.InputMetadata.Count}.");
        }

        var (inputName, input) = session.InputMetadata.First();
        if (!input.IsTensor || input.ElementDataType != TensorElementType.Float)
        {
            throw new ModelLoadException($"'{path}': input '{inputName}' must be a float32 tensor (found {input.ElementDataType}).");
        }

        var dims = input.Dimensions;
        if (dims.Length != 4 || (dims[1] != 3 && dims[1] > 0))
        {
            throw new ModelLoadException($"'{path}': input '{inputName}' must be [batch, 3, height, width] (found [{string.Join(',', dims)}]).");
        }

        var metadata = session.ModelMetadata.CustomMetadataMap;
        var ultralytics = UltralyticsMetadata.Parse(metadata);
        int height = dims[2] > 0 ? dims[2] : manifest?.InputHeight ?? ultralytics.ImageHeight ?? 0;
        int width = dims[3] > 0 ? dims[3] : manifest?.InputWidth ?? ultralytics.ImageWidth ?? 0;
        if (width <= 0 || height <= 0)
        {
            throw new ModelLoadException($"'{path}': input size is dynamic; set input_width/input_height in the manifest.");
        }

        if (session.OutputMetadata.Count == 0)
        {
            throw new ModelLoadException($"'{path}': the model has no outputs.");
        }

        var (outputName, output) = session.OutputMetadata.First();
        if (!output.IsTensor || output.ElementDataType != TensorElementType.Float || output.Dimensions.Length != 3)
        {
            throw new ModelLoadException(
                $"'{path}': output '{outputName}' must be a float32 tensor of rank 3 (found {output.ElementDataType} rank {output.Dimensions.Length}).");
        }

        bool dynamicBatch = dims[0] <= 0;
        long[] inputShape = dims.Select(d => (long)d).ToArray();
        inputShape[2] = height;
        inputShape[3] = width;

        // Dynamic output axes are resolved by running the model once.
        long[] outputShape = DiscoverOutputShape(session, inputName, outputName, dynamicBatch ? 1 : dims[0], width, height);
        return new ModelSignature(
            inputName, inputShape, "FP32", dynamicBatch, width, height, outputName, outputShape,
            new Dictionary<string, string>(metadata), ultralytics);
    }

    private static long[] DiscoverOutputShape(InferenceSession session, string inputName, string outputName, int batch, int width, int height)
    {
        var data = new float[batch * 3 * width * height];
        using var input = OrtValue.CreateTensorValueFromMemory(data, [batch, 3, height, width]);
        using var runOptions = new RunOptions();
        try
        {
            using var outputs = session.Run(runOptions, [inputName], [input], [outputName]);
            var shape = outputs[0].GetTensorTypeAndShape().Shape;
            if (shape.Length != 3 || shape[0] != batch || shape[1] <= 0 || shape[2] <= 0)
            {
                throw new ModelLoadException($"Output '{outputName}' has shape [{string.Join(',', shape)}] for a batch of {batch}; expected [{batch}, rows, columns].");
            }

            return [1, shape[1], shape[2]];
        }
        catch (OnnxRuntimeException ex)
        {
            throw new ModelLoadException($"The model failed its first inference: {ex.Message}", ex);
        }
    }

    private static void WarmUp(ModelInstance instance)
    {
        try
        {
            for (int i = 0; i < instance.MaxBatch; i++)
            {
                instance.InputSlot(i).Fill(0.5f);
            }

            instance.Run(1);
            if (instance.MaxBatch > 1)
            {
                instance.Run(instance.MaxBatch);
            }
        }
        catch (OnnxRuntimeException ex)
        {
            throw new ModelLoadException($"Warm-up inference failed: {ex.Message}", ex);
        }
    }
}
