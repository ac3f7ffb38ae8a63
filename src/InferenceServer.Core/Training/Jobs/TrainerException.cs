namespace InferenceServer.Core.Training.Jobs;

/// <summary>The trainer failed; the message is the job's error.</summary>
internal sealed class TrainerException : Exception
{
    public TrainerException(string message)
        : base(message)
    {
    }
}
