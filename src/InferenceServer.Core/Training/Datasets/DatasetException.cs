namespace InferenceServer.Core.Training.Datasets;

/// <summary>A dataset or job request that cannot be done as asked; <see cref="NotFound"/> distinguishes 404 from 400.</summary>
internal sealed class DatasetException : Exception
{
    public DatasetException(string message, bool notFound = false)
        : base(message)
    {
        NotFound = notFound;
    }

    public bool NotFound { get; }
}
