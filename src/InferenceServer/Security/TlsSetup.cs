using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace InferenceServer.Security;

/// <summary>Applies <see cref="TlsOptions"/> to a Kestrel listener: server certificate, and client-certificate checks against a private CA.</summary>
internal static class TlsSetup
{
    public static void Apply(ListenOptions listen, TlsOptions tls)
    {
        var certificate = X509Certificate2.CreateFromPemFile(tls.CertificatePath!, tls.KeyPath);
        X509Certificate2Collection? trusted = null;
        if (!string.IsNullOrEmpty(tls.ClientCaPath))
        {
            trusted = [];
            trusted.ImportFromPemFile(tls.ClientCaPath);
        }

        listen.UseHttps(https =>
        {
            https.ServerCertificate = certificate;
            https.ClientCertificateMode = tls.ClientCertificates switch
            {
                "require" => ClientCertificateMode.RequireCertificate,
                "allow" => ClientCertificateMode.AllowCertificate,
                _ => ClientCertificateMode.NoCertificate,
            };
            if (trusted is not null)
            {
                https.ClientCertificateValidation = (cert, _, _) => ChainsTo(cert, trusted);
            }
        });
    }

    private static bool ChainsTo(X509Certificate2 certificate, X509Certificate2Collection trusted)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(trusted);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationFlags = X509VerificationFlags.NoFlag;
        return chain.Build(certificate);
    }
}
