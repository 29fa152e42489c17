namespace Loom.Core.Workspaces;

/// <summary>Where <see cref="WorkspaceMaterializer"/> gets file content from, by <see cref="BlobHash"/>.</summary>
public interface IBlobSource
{
    /// <summary>
    /// A readable stream of the content whose hash is <paramref name="hash"/>; the caller disposes it and checks the
    /// hash while reading, so a source need not.
    /// </summary>
    /// <exception cref="BlobMissingException">The source does not have it.</exception>
    Task<Stream> OpenReadAsync(string hash, CancellationToken cancellationToken);
}
