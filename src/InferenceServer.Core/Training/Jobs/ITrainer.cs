namespace InferenceServer.Core.Training.Jobs;

/// <summary>Turns a dataset and a base checkpoint into a candidate model. Throws <see cref="TrainerException"/> on failure.</summary>
internal interface ITrainer
{
    Task<TrainerOutput> TrainAsync(TrainerContext context, CancellationToken cancellationToken);
}
