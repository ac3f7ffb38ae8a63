namespace InferenceServer.Core.Training.Jobs;

/// <summary>What a trainer produced: model.onnx, and a checkpoint for the next fine-tuning when it has one.</summary>
internal sealed record TrainerOutput(string OnnxPath, string? CheckpointPath);
