namespace InferenceServer.Client;

/// <summary>The server refused a detection request.</summary>
public sealed class DetectionException : Exception
{
    /// <summary>Creates the exception.</summary>
    public DetectionException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public DetectionException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and cause.</summary>
    public DetectionException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception from an HTTP status and the server's message.</summary>
    public DetectionException(int statusCode, string message)
        : base($"HTTP {statusCode}: {message}")
    {
        StatusCode = statusCode;
    }

    /// <summary>The HTTP status the server answered with.</summary>
    public int StatusCode { get; }
}
