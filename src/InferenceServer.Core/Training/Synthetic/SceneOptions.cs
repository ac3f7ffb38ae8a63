namespace InferenceServer.Core.Training.Synthetic;

/// <summary>What the generator draws.</summary>
internal sealed record SceneOptions
{
    public int Width { get; init; } = 1280;

    public int Height { get; init; } = 720;

    /// <summary>Categories to draw; class ids follow this order.</summary>
    public IReadOnlyList<string> Categories { get; init; } = ShapeCatalog.DefaultCategories;

    public int MinObjects { get; init; } = 1;

    public int MaxObjects { get; init; } = 8;

    /// <summary>Smallest object extent in pixels.</summary>
    public int MinSize { get; init; } = 12;

    /// <summary>Largest object extent as a fraction of the frame height.</summary>
    public double MaxSizeFraction { get; init; } = 0.5;

    /// <summary>JPEG quality range applied to every frame (artefacts); 0 disables.</summary>
    public int MinJpegQuality { get; init; } = 35;

    public int MaxJpegQuality { get; init; } = 95;

    public string? Validate()
    {
        if (Width < 64 || Height < 64 || Width > 8192 || Height > 8192)
        {
            return $"frame size must be within 64..8192 (got {Width}x{Height}).";
        }

        if (Categories.Count == 0 || Categories.Any(c => !ShapeCatalog.IsKnown(c)))
        {
            return $"categories must be among {string.Join(", ", ShapeCatalog.All)} (got {string.Join(", ", Categories)}).";
        }

        if (MinObjects < 0 || MaxObjects < MinObjects || MaxObjects > 64)
        {
            return $"object count range {MinObjects}..{MaxObjects} is invalid.";
        }

        if (MinSize < 4 || MinSize > Height * MaxSizeFraction)
        {
            return $"minimum size {MinSize} px is invalid for a {Height} px frame.";
        }

        return null;
    }
}
