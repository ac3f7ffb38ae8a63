namespace InferenceServer.Security;

/// <summary>The three roles and the authorization policies built from them.</summary>
internal static class Roles
{
    public const string Camera = "camera";
    public const string Operator = "operator";
    public const string Admin = "admin";

    /// <summary>Detect, StreamDetect, KServe inference and model metadata: cameras (and admins).</summary>
    public const string InferPolicy = "infer";

    /// <summary>Read-only model status: operators and admins.</summary>
    public const string StatusPolicy = "status";

    /// <summary>Datasets, examples and retraining jobs: operators and admins.</summary>
    public const string TrainPolicy = "train";

    /// <summary>Registry control: admins only.</summary>
    public const string AdminPolicy = "admin";

    /// <summary>Any valid key.</summary>
    public const string AnyKeyPolicy = "any-key";

    public static bool IsKnown(string role) => role is Camera or Operator or Admin;
}
