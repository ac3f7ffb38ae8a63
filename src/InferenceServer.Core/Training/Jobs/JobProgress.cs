namespace InferenceServer.Core.Training.Jobs;

/// <summary>The trainer's last progress line.</summary>
internal sealed record JobProgress(int Epoch, int Epochs, double Loss, double EtaSeconds);
