using System.Text.Json;
using System.Text.Json.Nodes;

namespace InferenceServer.Core.Training.Datasets;

/// <summary>COCO detection JSON: images (file_name, width, height), annotations (bbox = x, y, w, h), categories.</summary>
internal static class CocoFormat
{
    /// <summary>Reads a folder holding one *.json annotation file and the images it names (relative to that folder or its images/).</summary>
    public static IEnumerable<ImportedExample> Import(string directory)
    {
        var jsonFiles = Directory.GetFiles(directory, "*.json", SearchOption.AllDirectories);
        if (jsonFiles.Length != 1)
        {
            throw new DatasetException($"COCO import: expected exactly one .json annotation file, found {jsonFiles.Length}.");
        }

        JsonNode root;
        try
        {
            root = JsonNode.Parse(File.ReadAllText(jsonFiles[0])) ?? throw new DatasetException("COCO import: empty JSON.");
        }
        catch (JsonException ex)
        {
            throw new DatasetException($"COCO import: invalid JSON ({ex.Message}).");
        }

        string baseDir = Path.GetDirectoryName(jsonFiles[0])!;
        Dictionary<long, string> categories;
        List<(long Id, string File)> images;
        ILookup<long, (long Category, float[] Box)> annotations;
        try
        {
            categories = root["categories"]!.AsArray().ToDictionary(c => c!["id"]!.GetValue<long>(), c => c!["name"]!.GetValue<string>());
            images = root["images"]!.AsArray().Select(i => (i!["id"]!.GetValue<long>(), i["file_name"]!.GetValue<string>())).ToList();
            annotations = (root["annotations"]?.AsArray() ?? [])
                .Select(a => (Image: a!["image_id"]!.GetValue<long>(), Category: a["category_id"]!.GetValue<long>(), Box: a["bbox"]!.AsArray().Select(v => v!.GetValue<float>()).ToArray()))
                .ToLookup(a => a.Image, a => (a.Category, a.Box));
        }
        catch (Exception ex) when (ex is NullReferenceException or InvalidOperationException or FormatException or ArgumentException)
        {
            throw new DatasetException($"COCO import: missing or mistyped field ({ex.Message}).");
        }

        foreach (var (id, file) in images)
        {
            string? path = SafePaths.Resolve(baseDir, file);
            if (path is not null && !File.Exists(path))
            {
                path = SafePaths.Resolve(Path.Combine(baseDir, "images"), file);
            }

            if (path is null)
            {
                yield return new ImportedExample(file, null, [], "file_name points outside the dataset");
                continue;
            }

            if (!File.Exists(path))
            {
                yield return new ImportedExample(file, null, [], "image file not found");
                continue;
            }

            var boxes = new List<LabeledBox>();
            string? error = null;
            foreach (var (category, box) in annotations[id])
            {
                if (!categories.TryGetValue(category, out var name) || box.Length != 4)
                {
                    error = $"annotation with unknown category {category} or a bbox that is not [x, y, w, h]";
                    break;
                }

                boxes.Add(new LabeledBox(name, box[0], box[1], box[0] + box[2], box[1] + box[3]));
            }

            yield return new ImportedExample(file, File.ReadAllBytes(path), boxes, error);
        }
    }

    /// <summary>Writes annotations.json + images/ for the examples.</summary>
    public static void Export(DatasetSnapshot snapshot, IEnumerable<Example> examples, string directory)
    {
        Directory.CreateDirectory(Path.Combine(directory, "images"));
        var categories = snapshot.Version.Categories;
        var images = new JsonArray();
        var annotations = new JsonArray();
        long imageId = 0;
        long annotationId = 0;
        foreach (var e in examples)
        {
            imageId++;
            File.Copy(snapshot.PathOf(e), Path.Combine(directory, "images", e.File), overwrite: true);
            images.Add(new JsonObject { ["id"] = imageId, ["file_name"] = e.File, ["width"] = e.Width, ["height"] = e.Height });
            foreach (var b in e.Boxes!)
            {
                int category = categories.ToList().IndexOf(b.Label);
                if (category < 0)
                {
                    continue;
                }

                annotations.Add(new JsonObject
                {
                    ["id"] = ++annotationId,
                    ["image_id"] = imageId,
                    ["category_id"] = category + 1,
                    ["bbox"] = new JsonArray(b.X1, b.Y1, b.X2 - b.X1, b.Y2 - b.Y1),
                    ["area"] = (b.X2 - b.X1) * (b.Y2 - b.Y1),
                    ["iscrowd"] = 0,
                });
            }
        }

        var root = new JsonObject
        {
            ["images"] = images,
            ["annotations"] = annotations,
            ["categories"] = new JsonArray(categories.Select((c, i) => (JsonNode)new JsonObject { ["id"] = i + 1, ["name"] = c }).ToArray()),
        };
        File.WriteAllText(Path.Combine(directory, "annotations.json"), root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }
}
