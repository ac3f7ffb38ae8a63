using System.Security.Claims;

namespace InferenceServer.Security;

/// <summary>Which feeds' results a caller may watch: admins and operators all, camera keys only those listed for them.</summary>
internal static class FeedAccess
{
    public static bool CanWatch(ClaimsPrincipal user, string feedId, bool authEnabled)
    {
        if (!authEnabled || user.IsInRole(Roles.Admin) || user.IsInRole(Roles.Operator))
        {
            return true;
        }

        return user.IsInRole(Roles.Camera)
            && user.FindAll(ApiKeyAuthenticationHandler.FeedClaim).Any(c => c.Value == "*" || c.Value == feedId);
    }
}
