using System.IO.Compression;

namespace InferenceServer.Core.Training.Datasets;

/// <summary>
/// Unpacks an uploaded zip into a fresh folder, refusing entries that would land outside it (absolute paths,
/// "..", links) and archives that expand beyond a size or entry budget (zip bombs).
/// </summary>
internal static class ZipImport
{
    public static void Extract(Stream zip, string destination, long maxBytes, int maxEntries = 100_000)
    {
        ZipArchive archive;
        try
        {
            archive = new ZipArchive(zip, ZipArchiveMode.Read, leaveOpen: true);
        }
        catch (InvalidDataException ex)
        {
            throw new DatasetException($"archive: not a zip file ({ex.Message}).");
        }

        using (archive)
        {
            if (archive.Entries.Count > maxEntries)
            {
                throw new DatasetException($"archive: {archive.Entries.Count} entries, more than {maxEntries}.");
            }

            long total = 0;
            foreach (var entry in archive.Entries)
            {
                if (string.IsNullOrEmpty(entry.Name))
                {
                    continue; // A folder.
                }

                string target = SafePaths.Resolve(destination, entry.FullName)
                    ?? throw new DatasetException($"archive: entry '{entry.FullName}' points outside the archive.");

                // Unix mode bits in the high word: refuse symbolic links (they could point anywhere).
                if (((entry.ExternalAttributes >> 16) & 0xF000) == 0xA000)
                {
                    throw new DatasetException($"archive: entry '{entry.FullName}' is a symbolic link.");
                }

                total += entry.Length;
                if (entry.Length < 0 || total > maxBytes)
                {
                    throw new DatasetException($"archive: expands to more than {maxBytes} bytes.");
                }

                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                using var input = entry.Open();
                using var output = File.Create(target);

                // Copy at most what the entry declared: a lying header cannot expand past the budget.
                var buffer = new byte[81920];
                long left = entry.Length;
                int n;
                while ((n = input.Read(buffer, 0, (int)Math.Min(buffer.Length, left + 1))) > 0)
                {
                    left -= n;
                    if (left < 0)
                    {
                        throw new DatasetException($"archive: entry '{entry.FullName}' is larger than it declares.");
                    }

                    output.Write(buffer, 0, n);
                }
            }
        }
    }
}
