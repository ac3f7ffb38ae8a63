using System.IO.Compression;
using InferenceServer.Core.Imaging;
using InferenceServer.Core.Training.Datasets;
using InferenceServer.Core.Training.Synthetic;
using InferenceServer.Tests.Fixtures;

namespace InferenceServer.Tests.Training;

public sealed class DatasetTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly SceneGenerator _scenes = new(new SceneOptions { Width = 320, Height = 192, MinSize = 16, MaxObjects = 3, Categories = ["star", "cross", "circle"] }, 5);

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Add_SameImageTwice_StoredOnceAndReportedAsDuplicate()
    {
        var dataset = Store().Get("ops", create: true);
        var (jpeg, objects) = _scenes.GenerateJpeg(0);
        var (first, dup1) = await dataset.AddAsync(jpeg, Boxes(objects), "upload", default);
        var (second, dup2) = await dataset.AddAsync(jpeg, Boxes(objects), "upload", default);
        Assert.False(dup1);
        Assert.True(dup2);
        Assert.Equal(first.Id, second.Id);
        Assert.Single(Directory.GetFiles(dataset.ObjectsDirectory));
        Assert.Equal(1, dataset.Summary().Images);
    }

    [Fact]
    public async Task Add_UnlabelledCopyOfALabelledImage_KeepsItsLabels_NewLabelsReplaceThem()
    {
        var dataset = Store().Get("ops", create: true);
        var (jpeg, objects) = _scenes.GenerateJpeg(3);
        await dataset.AddAsync(jpeg, Boxes(objects), "upload", default);
        var (copy, duplicate) = await dataset.AddAsync(jpeg, null, "stream:lobby", default);
        Assert.True(duplicate);
        Assert.Equal(objects.Count, copy.Boxes!.Count);
        Assert.Equal(1, dataset.Summary().Labelled);
        Assert.Equal(0, dataset.Summary().Unlabelled);

        var (relabelled, again) = await dataset.AddAsync(jpeg, [new LabeledBox("star", 5, 5, 60, 60)], "upload", default);
        Assert.False(again);
        Assert.Single(relabelled.Boxes!);
    }

    [Theory]
    [InlineData("star", -1, 10, 50, 60, "outside")]
    [InlineData("star", 10, 10, 400, 60, "outside")]
    [InlineData("star", 10, 10, 11, 60, "degenerate")]
    [InlineData("star", 50, 10, 40, 60, "degenerate")]
    [InlineData("../etc", 10, 10, 50, 60, "not a valid category")]
    [InlineData("", 10, 10, 50, 60, "not a valid category")]
    [InlineData("star", float.NaN, 10, 50, 60, "finite")]
    public async Task Add_BadBox_RejectedWithThePreciseReasonAndNothingChanges(string label, float x1, float y1, float x2, float y2, string reason)
    {
        var dataset = Store().Get("ops", create: true);
        await dataset.AddAsync(_scenes.GenerateJpeg(0).Jpeg, [new LabeledBox("circle", 5, 5, 40, 40)], "upload", default);
        var before = dataset.Summary();
        var ex = await Assert.ThrowsAsync<DatasetException>(() =>
            dataset.AddAsync(_scenes.GenerateJpeg(1).Jpeg, [new LabeledBox("cross", 5, 5, 40, 40), new LabeledBox(label, x1, y1, x2, y2)], "upload", default));
        Assert.Contains(reason, ex.Message, StringComparison.Ordinal);
        Assert.Contains("boxes[1]", ex.Message, StringComparison.Ordinal);
        var after = dataset.Summary();
        Assert.Equal(before.Images, after.Images);
        Assert.Equal(before.Categories, after.Categories); // "cross" from the refused example did not leak in
        Assert.Single(Directory.GetFiles(dataset.ObjectsDirectory));
    }

    [Fact]
    public async Task Add_NotAnImage_RejectedBeforeAnythingIsStored()
    {
        var dataset = Store().Get("ops", create: true);
        var ex = await Assert.ThrowsAsync<DatasetException>(() => dataset.AddAsync("GIF89a not really"u8.ToArray(), [], "upload", default));
        Assert.StartsWith("image:", ex.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(dataset.ObjectsDirectory));
    }

    [Fact]
    public async Task Versions_FreezeWhatWasThere_LaterChangesDoNotLeakIntoOldVersions()
    {
        var dataset = Store().Get("ops", create: true);
        var (jpeg0, o0) = _scenes.GenerateJpeg(0);
        await dataset.AddAsync(jpeg0, Boxes(o0), "upload", default);
        var v1 = await dataset.CreateVersionAsync(default);
        Assert.Same(v1, await dataset.CreateVersionAsync(default)); // nothing changed: same version

        await dataset.AddAsync(_scenes.GenerateJpeg(1).Jpeg, [new LabeledBox("zebra", 1, 1, 30, 30)], "upload", default);
        await dataset.AddAsync(jpeg0, [new LabeledBox("star", 2, 2, 20, 20)], "relabel", default); // relabel
        await dataset.AddAsync(_scenes.GenerateJpeg(2).Jpeg, null, "feed:cam", default); // unlabelled capture
        var v2 = await dataset.CreateVersionAsync(default);

        var s1 = dataset.Snapshot(1);
        Assert.Single(s1.Examples);
        Assert.Equal(Boxes(o0), s1.Examples[0].Boxes);
        Assert.DoesNotContain("zebra", s1.Version.Categories);

        var s2 = dataset.Snapshot(v2.Version);
        Assert.Equal(2, s2.Examples.Count); // the capture is not training data until labelled
        Assert.Equal("star", s2.Examples.Single(e => e.Id == s1.Examples[0].Id).Boxes!.Single().Label);
        Assert.Contains("zebra", s2.Version.Categories);
        Assert.Equal(s1.Version.Categories, s2.Version.Categories.Take(s1.Version.Categories.Count)); // new names extend the label map at the end
        Assert.Equal(1, dataset.Summary().Unlabelled);
        Assert.Throws<DatasetException>(() => dataset.Snapshot(9));
    }

    [Fact]
    public async Task Reopen_AfterARestart_SeesTheSameExamplesAndVersions()
    {
        var first = Store().Get("ops", create: true);
        for (int i = 0; i < 5; i++)
        {
            var (jpeg, objects) = _scenes.GenerateJpeg(i);
            await first.AddAsync(jpeg, Boxes(objects), "upload", default);
        }

        await first.CreateVersionAsync(default);
        File.AppendAllText(Path.Combine(_dir.Path, "ops", "examples.jsonl"), "{\"id\":\"cut-short"); // a crash mid-append
        var reopened = Store().Get("ops", create: false);
        Assert.Equal(first.Summary().Images, reopened.Summary().Images);
        Assert.Equal(5, reopened.Snapshot(1).Examples.Count);
        Assert.Throws<DatasetException>(() => Store().Get("missing", create: false));
        Assert.Throws<DatasetException>(() => Store().Get("../escape", create: true));
    }

    [Fact]
    public async Task Holdout_IsDecidedByContent_AboutOneInFive()
    {
        var dataset = Store().Get("ops", create: true);
        for (int i = 0; i < 100; i++)
        {
            var (jpeg, objects) = _scenes.GenerateJpeg(i);
            await dataset.AddAsync(jpeg, Boxes(objects), "upload", default);
        }

        var snapshot = dataset.Snapshot((await dataset.CreateVersionAsync(default)).Version);
        Assert.InRange(snapshot.Holdout.Count(), 10, 30);
        Assert.All(snapshot.Holdout, e => Assert.True(Example.HoldoutFor(e.Id)));
        Assert.Empty(snapshot.Train.Intersect(snapshot.Holdout));
    }

    [Theory]
    [InlineData("yolo")]
    [InlineData("coco")]
    public async Task ExportThenImport_RoundTrip_KeepsImagesAndBoxes(string format)
    {
        var dataset = Store().Get("ops", create: true);
        for (int i = 0; i < 6; i++)
        {
            var (jpeg, objects) = _scenes.GenerateJpeg(i);
            await dataset.AddAsync(jpeg, Boxes(objects), "upload", default);
        }

        var snapshot = dataset.Snapshot((await dataset.CreateVersionAsync(default)).Version);
        string export = Path.Combine(_dir.Path, "export-" + format);
        if (format == "yolo")
        {
            YoloFormat.Export(snapshot, snapshot.Examples, snapshot.Version.Categories, export);
        }
        else
        {
            CocoFormat.Export(snapshot, snapshot.Examples, export);
        }

        var imported = (format == "yolo" ? YoloFormat.Import(export) : CocoFormat.Import(export)).ToList();
        Assert.Equal(6, imported.Count);
        var copy = Store().Get("copy", create: true);
        foreach (var e in imported)
        {
            Assert.Null(e.Error);
            var (added, _) = await copy.AddAsync(e.Image!, e.Boxes, "import", default);
            var original = snapshot.Examples.Single(x => x.Id == added.Id); // same bytes, same content address
            Assert.Equal(original.Boxes!.Count, added.Boxes!.Count);
            foreach (var (a, b) in original.Boxes.Zip(added.Boxes))
            {
                Assert.Equal(a.Label, b.Label);
                Assert.Equal(a.X1, b.X1, 0.05f);
                Assert.Equal(a.Y2, b.Y2, 0.05f);
            }
        }
    }

    [Theory]
    [InlineData("../evil.jpg")]
    [InlineData("images/../../evil.jpg")]
    [InlineData("/tmp/evil.jpg")]
    public void ZipImport_EntryLeavingTheFolder_IsRefused(string entryName)
    {
        using var zip = new MemoryStream();
        using (var archive = new ZipArchive(zip, ZipArchiveMode.Create, leaveOpen: true))
        {
            using var writer = new StreamWriter(archive.CreateEntry(entryName).Open());
            writer.Write("x");
        }

        zip.Position = 0;
        string target = Path.Combine(_dir.Path, "unzip");
        var ex = Assert.Throws<DatasetException>(() => ZipImport.Extract(zip, target, 1 << 20));
        Assert.Contains("outside", ex.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_dir.Path, "evil.jpg")));
    }

    [Theory]
    [InlineData("../secret.jpg")]
    [InlineData("/etc/passwd")]
    [InlineData("images/../../secret.jpg")]
    public void CocoImport_FileNameLeavingTheFolder_IsRejectedWithoutReadingIt(string fileName)
    {
        string root = Path.Combine(_dir.Path, "coco");
        Directory.CreateDirectory(root);
        File.WriteAllBytes(Path.Combine(_dir.Path, "secret.jpg"), _scenes.GenerateJpeg(0).Jpeg);
        string json = "{\"images\":[{\"id\":1,\"file_name\":" + System.Text.Json.JsonSerializer.Serialize(fileName) + ",\"width\":320,\"height\":192}],"
            + "\"annotations\":[{\"id\":1,\"image_id\":1,\"category_id\":1,\"bbox\":[1,1,20,20]}],\"categories\":[{\"id\":1,\"name\":\"star\"}]}";
        File.WriteAllText(Path.Combine(root, "annotations.json"), json);
        var imported = Assert.Single(CocoFormat.Import(root));
        Assert.Null(imported.Image);
        Assert.Contains("outside", imported.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void ZipImport_Bomb_IsRefusedByTheExpansionBudget()
    {
        using var zip = new MemoryStream();
        using (var archive = new ZipArchive(zip, ZipArchiveMode.Create, leaveOpen: true))
        {
            using var stream = archive.CreateEntry("images/zeros.bin", CompressionLevel.SmallestSize).Open();
            stream.Write(new byte[4 << 20]); // 4 MiB of zeros compresses to a few KiB
        }

        Assert.True(zip.Length < 64 * 1024);
        zip.Position = 0;
        var ex = Assert.Throws<DatasetException>(() => ZipImport.Extract(zip, Path.Combine(_dir.Path, "bomb"), 1 << 20));
        Assert.Contains("expands", ex.Message, StringComparison.Ordinal);
    }

    private static IReadOnlyList<LabeledBox> Boxes(IEnumerable<SceneObject> objects) =>
        objects.Select(o => new LabeledBox(o.Label, o.X1, o.Y1, o.X2, o.Y2)).ToArray();

    private DatasetStore Store() => new(_dir.Path, ImageLimits.Default);
}
