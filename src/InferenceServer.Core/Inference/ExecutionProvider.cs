namespace InferenceServer.Core.Inference;

/// <summary>Where ONNX Runtime executes a model.</summary>
public enum ExecutionProvider
{
    /// <summary>CUDA when it can be created, otherwise CPU (logged once with the reason).</summary>
    Auto,

    /// <summary>The CPU execution provider.</summary>
    Cpu,

    /// <summary>NVIDIA CUDA (needs CUDA 13 and cuDNN 9 on the host).</summary>
    Cuda,

    /// <summary>NVIDIA TensorRT, falling back to CUDA for unsupported nodes.</summary>
    TensorRt,
}
