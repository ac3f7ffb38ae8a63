using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace InferenceServer.Security;

/// <summary>Authenticates <c>authorization: Bearer KEY</c> (HTTP header or gRPC metadata) against the key store.</summary>
internal sealed class ApiKeyAuthenticationHandler : AuthenticationHandler<AuthenticationSchemeOptions>
{
    public const string SchemeName = "ApiKey";
    public const string KeyIdClaim = "key_id";

    /// <summary>One claim per feed a camera key may watch ("*" for all).</summary>
    public const string FeedClaim = "feed";

    private readonly ApiKeyStore _store;

    public ApiKeyAuthenticationHandler(
        IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, ApiKeyStore store)
        : base(options, logger, encoder)
    {
        _store = store;
    }

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? header = Request.Headers.Authorization;
        if (string.IsNullOrEmpty(header))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return Task.FromResult(AuthenticateResult.Fail("authorization must be 'Bearer <key>'"));
        }

        var identity = _store.Verify(header["Bearer ".Length..].Trim());
        if (identity is null)
        {
            return Task.FromResult(AuthenticateResult.Fail("unknown API key"));
        }

        var claims = new List<Claim> { new(ClaimTypes.Name, identity.Id), new(KeyIdClaim, identity.Id), new(ClaimTypes.Role, identity.Role) };
        claims.AddRange(identity.Feeds.Select(f => new Claim(FeedClaim, f)));
        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName));
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName)));
    }
}
