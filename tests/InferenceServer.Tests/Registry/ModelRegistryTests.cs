using InferenceServer.Core.Inference;
using InferenceServer.Core.Registry;
using InferenceServer.TestModels;
using InferenceServer.Tests.Fixtures;
using Microsoft.Extensions.Logging.Abstractions;

namespace InferenceServer.Tests.Registry;

public sealed class ModelRegistryTests : IAsyncDisposable
{
    private const string Manifest = """{"labels": ["a", "b"]}""";
    private readonly TempDirectory _repo = new();
    private readonly List<DetectionModel> _disposedBeforeRelease = [];
    private ModelRegistry? _registry;

    public async ValueTask DisposeAsync()
    {
        if (_registry is not null)
        {
            await _registry.DisposeAsync();
        }

        _repo.Dispose();
    }

    [Fact]
    public async Task Start_SeveralVersions_ServesNewestAndLeavesOthersAvailable()
    {
        Write("m", "1");
        Write("m", "2");
        var registry = await StartAsync("m");
        using var lease = registry.Acquire("m", null)!;
        Assert.Equal("2", lease.Model.Version);
        var status = registry.Get("m")!;
        Assert.Equal("2", status.Serving);
        Assert.Equal(VersionState.Available, status.Versions.Single(v => v.Version == "1").State);
        Assert.True(registry.IsReady);
    }

    [Fact]
    public async Task Sync_NewVersionDroppedIn_SwitchesAndDisposesOldOnlyAfterItsLastLease()
    {
        Write("m", "1");
        var registry = await StartAsync("m");
        var held = registry.Acquire("m", null)!; // an in-flight frame on v1
        Write("m", "2");
        await registry.SyncAllAsync(CancellationToken.None);

        using (var next = registry.Acquire("m", null)!)
        {
            Assert.Equal("2", next.Model.Version);
        }

        Assert.Equal(VersionState.Draining, registry.Get("m")!.Versions.Single(v => v.Version == "1").State);
        Assert.Empty(_disposedBeforeRelease); // v1 must survive while the frame holds it
        held.Dispose();
        await WaitUntilAsync(() => registry.Get("m")!.Versions.Single(v => v.Version == "1").State == VersionState.Available);
        Assert.Single(_disposedBeforeRelease);
        Assert.Equal("1", _disposedBeforeRelease[0].Version);
    }

    [Theory]
    [InlineData("truncated")]
    [InlineData("random")]
    [InlineData("undecodable")]
    public async Task Sync_BadNewVersion_IsRejectedWhileOldKeepsServing(string kind)
    {
        Write("m", "1");
        var registry = await StartAsync("m");
        byte[] bad = kind switch
        {
            "truncated" => BrightBoxModel.Build(OutputLayout.YoloV8, 64, 64, names: ["a", "b"])[..300],
            "random" => RandomBytes(5000),
            _ => UndecodableModel(),
        };
        TestModelFiles.WriteVersion(_repo.Path, "m", "2", bad, Manifest);
        await registry.SyncAllAsync(CancellationToken.None);

        var v2 = registry.Get("m")!.Versions.Single(v => v.Version == "2");
        Assert.Equal(VersionState.Failed, v2.State);
        Assert.False(string.IsNullOrEmpty(v2.Reason));
        using var lease = registry.Acquire("m", null)!;
        Assert.Equal("1", lease.Model.Version);
    }

    [Fact]
    public async Task PromoteAndRollback_SwitchProductionAndKeepAtMostTwoResident()
    {
        Write("m", "1");
        Write("m", "2");
        Write("m", "3");
        var registry = await StartAsync("m");
        Assert.Equal("3", registry.Get("m")!.Serving);

        await registry.PromoteAsync("m", "1", CancellationToken.None);
        Assert.Equal("1", registry.Get("m")!.Serving);
        await registry.PromoteAsync("m", "2", CancellationToken.None);
        Assert.Equal("2", registry.Get("m")!.Serving);
        await WaitUntilAsync(() => registry.Get("m")!.Versions.Count(v => v.State is VersionState.Ready or VersionState.Draining) <= 2);

        await registry.RollbackAsync("m", CancellationToken.None);
        var status = registry.Get("m")!;
        Assert.Equal("1", status.Serving);
        Assert.Equal("1", status.Aliases[ModelRegistry.Production]);
        Assert.True(File.Exists(Path.Combine(_repo.Path, "m", ModelConfig.FileName)), "aliases persist in config.json");
        await Assert.ThrowsAsync<InvalidOperationException>(() => registry.RollbackAsync("m", CancellationToken.None));
    }

    [Fact]
    public async Task Promote_ConcurrentCalls_AreSerialized()
    {
        Write("m", "1");
        Write("m", "2");
        Write("m", "3");
        var registry = await StartAsync("m");
        var tasks = new[] { "1", "2", "3", "1", "2" }.Select(v => registry.PromoteAsync("m", v, CancellationToken.None)).ToArray();
        await Task.WhenAll(tasks);
        var status = registry.Get("m")!;
        Assert.Equal(status.Aliases[ModelRegistry.Production], status.Serving);
        Assert.True(status.Versions.Count(v => v.State == VersionState.Ready) <= 2);
    }

    [Fact]
    public async Task Sync_VersionCopiedSlowlyFileByFile_NotLoadedUntilManifestArrives()
    {
        Write("m", "1");
        var registry = await StartAsync("m", settle: TimeSpan.FromSeconds(30));
        string dir = Path.Combine(_repo.Path, "m", "2");
        Directory.CreateDirectory(dir);
        var bytes = BrightBoxModel.Build(OutputLayout.YoloV8, 64, 64, names: ["a", "b"]);
        await using (var stream = File.Create(Path.Combine(dir, "model.onnx")))
        {
            for (int offset = 0; offset < bytes.Length; offset += 200)
            {
                await stream.WriteAsync(bytes.AsMemory(offset, Math.Min(200, bytes.Length - offset)));
                await stream.FlushAsync();
                await registry.SyncAllAsync(CancellationToken.None);
                Assert.DoesNotContain(registry.Get("m")!.Versions, v => v.Version == "2");
            }
        }

        await registry.SyncAllAsync(CancellationToken.None);
        Assert.DoesNotContain(registry.Get("m")!.Versions, v => v.Version == "2"); // complete file, but not settled and no manifest

        await File.WriteAllTextAsync(Path.Combine(dir, "manifest.json"), Manifest);
        await registry.SyncAllAsync(CancellationToken.None);
        Assert.Equal("2", registry.Get("m")!.Serving);
    }

    [Fact]
    public async Task Sync_OnnxOnlyFolderUnchangedForSettlePeriod_Loads()
    {
        var registry = await StartAsync("m", settle: TimeSpan.Zero);
        TestModelFiles.WriteVersion(_repo.Path, "m", "1", BrightBoxModel.Build(OutputLayout.YoloV8, 64, 64, names: ["a", "b"]), markReady: false);
        await registry.SyncAllAsync(CancellationToken.None);
        Assert.Equal("1", registry.Get("m")!.Serving);
        using var lease = registry.Acquire("m", null)!;
        Assert.Equal(["a", "b"], lease.Model.Labels); // inferred from the ONNX metadata alone
    }

    [Fact]
    public async Task Upload_WritesNextVersionAtomicallyAndServesIt()
    {
        Write("m", "1");
        var registry = await StartAsync("m");
        string version = await registry.UploadAsync("m", BrightBoxModel.Build(OutputLayout.YoloV8, 64, 64, names: ["a", "b"]), Manifest, CancellationToken.None);
        Assert.Equal("2", version);
        Assert.Equal("2", registry.Get("m")!.Serving);
        Assert.Empty(Directory.GetDirectories(Path.Combine(_repo.Path, "m"), ".upload-*"));
        await Assert.ThrowsAsync<InvalidDataException>(() => registry.UploadAsync("m", [1, 2], "{not json", CancellationToken.None));
    }

    [Theory]
    [InlineData("../evil")]
    [InlineData("/abs")]
    [InlineData("..")]
    [InlineData("a/b")]
    [InlineData("")]
    public async Task Upload_NameWithPathParts_IsRejected(string name)
    {
        var registry = await StartAsync("m");
        await Assert.ThrowsAsync<ArgumentException>(() => registry.UploadAsync(name, [1], null, CancellationToken.None));
        Assert.False(Directory.Exists(Path.Combine(_repo.Path, "..", "evil")));
    }

    [Fact]
    public void ExternalData_LocationOutsideFolder_IsRefused()
    {
        var inside = OnnxWithExternalData("weights.bin");
        var outside = OnnxWithExternalData("../../etc/passwd");
        var absolute = OnnxWithExternalData("/etc/passwd");
        Assert.Equal(["weights.bin"], OnnxExternalData.Locations(inside));
        Assert.Null(OnnxExternalData.CheckInside(inside, _repo.Path));
        Assert.Contains("outside", OnnxExternalData.CheckInside(outside, _repo.Path), StringComparison.Ordinal);
        Assert.Contains("absolute", OnnxExternalData.CheckInside(absolute, _repo.Path), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Acquire_PinnedVersionOrAlias_ReturnsThatVersion()
    {
        Write("m", "1");
        Write("m", "2");
        var registry = await StartAsync("m");
        await registry.SetAliasAsync("m", "candidate", "1", CancellationToken.None);
        using (var pinned = registry.Acquire("m", "candidate")!)
        {
            Assert.Equal("1", pinned.Model.Version);
        }

        using (var serving = registry.Acquire("m", null)!)
        {
            Assert.Equal("2", serving.Model.Version);
        }

        Assert.Null(registry.Acquire("m", "7"));
        Assert.Null(registry.Acquire("other", null));
        await Assert.ThrowsAsync<ArgumentException>(() => registry.SetAliasAsync("m", "bad alias!", "1", CancellationToken.None));
    }

    internal static byte[] OnnxWithExternalData(string location)
    {
        // ModelProto.graph(7) → GraphProto.initializer(5) → TensorProto.external_data(13) {key:"location", value}.
        var entry = Concat(Field(1, "location"u8.ToArray()), Field(2, System.Text.Encoding.UTF8.GetBytes(location)));
        var tensor = Concat(Field(8, "w"u8.ToArray()), Field(13, entry), [0x70, 0x01]); // data_location = EXTERNAL (field 14, varint 1)
        var graph = Field(5, tensor);
        return Concat([0x08, 0x08], Field(7, graph)); // ir_version = 8
    }

    private static byte[] Field(int number, byte[] payload)
    {
        var bytes = new List<byte>();
        Varint(bytes, (ulong)((number << 3) | 2));
        Varint(bytes, (ulong)payload.Length);
        bytes.AddRange(payload);
        return [.. bytes];
    }

    private static void Varint(List<byte> bytes, ulong v)
    {
        while (v >= 0x80)
        {
            bytes.Add((byte)(v | 0x80));
            v >>= 7;
        }

        bytes.Add((byte)v);
    }

    private static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

    private static byte[] RandomBytes(int n)
    {
        var b = new byte[n];
        new Random(5).NextBytes(b);
        return b;
    }

    /// <summary>A valid ONNX model whose output is rank 2: no decoder understands it.</summary>
    private static byte[] UndecodableModel()
    {
        var g = new GraphBuilder();
        string images = g.Input("images", "batch", 3, 64, 64);
        g.NodeTo("ReduceMean", "output0", [images], ("axes", new long[] { 2, 3 }), ("keepdims", 0L));
        g.Output("output0", "batch", 3);
        return g.ToBytes();
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not reached in time");
            await Task.Delay(10);
        }
    }

    private void Write(string name, string version) =>
        TestModelFiles.WriteVersion(_repo.Path, name, version, BrightBoxModel.Build(OutputLayout.YoloV8, 64, 64, names: ["a", "b"]), Manifest);

    private async Task<ModelRegistry> StartAsync(string defaultModel, TimeSpan? settle = null)
    {
        _registry = new ModelRegistry(
            new RegistryOptions
            {
                Root = _repo.Path,
                DefaultModel = defaultModel,
                Session = TestLoading.CpuSettings(maxBatch: 1),
                Settle = settle ?? TimeSpan.FromSeconds(5),
                Watch = false,
                PollInterval = TimeSpan.FromHours(1),
            },
            NullLogger.Instance,
            model =>
            {
                lock (_disposedBeforeRelease)
                {
                    _disposedBeforeRelease.Add(model);
                }

                return ValueTask.CompletedTask;
            });
        await _registry.StartAsync(CancellationToken.None);
        return _registry;
    }
}
