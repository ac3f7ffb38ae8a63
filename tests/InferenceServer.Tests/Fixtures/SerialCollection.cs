namespace InferenceServer.Tests.Fixtures;

/// <summary>Tests that measure process-wide quantities (memory) run alone, not beside other test classes.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialCollection
{
    public const string Name = "Serial";
}
