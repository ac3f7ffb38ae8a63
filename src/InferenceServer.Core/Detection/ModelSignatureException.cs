namespace InferenceServer.Core.Detection;

/// <summary>A model's inputs or outputs are not something the server can serve.</summary>
public sealed class ModelSignatureException : Exception
{
    public ModelSignatureException()
    {
    }

    public ModelSignatureException(string message)
        : base(message)
    {
    }

    public ModelSignatureException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
