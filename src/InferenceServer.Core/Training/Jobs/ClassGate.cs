namespace InferenceServer.Core.Training.Jobs;

/// <summary>One class in the gate: held-out instances, AP@0.5 of candidate and production (null when production lacks the class).</summary>
internal sealed record ClassGate(bool New, int Instances, double CandidateAp, double? ProductionAp, bool Passed);
