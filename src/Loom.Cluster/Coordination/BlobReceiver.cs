using Akka.Actor;
using Akka.Event;
using Loom.Cluster.Protocol;
using Loom.Cluster.Storage;

namespace Loom.Cluster.Coordination;

/// <summary>
/// Takes the files submitters upload (content-addressed blobs, in chunks small enough for one remoting frame) into the
/// cluster's blob store. Its messages are handled one at a time to the end (a chunk is written before the next is
/// read), so chunks of one blob stay in order; uploads of different blobs may interleave.
/// </summary>
public sealed class BlobReceiver : ReceiveActor
{
    private readonly PostgresBlobStore store;
    private readonly string temporaryFolder;
    private readonly Dictionary<string, BlobUpload> uploads = new(StringComparer.Ordinal);
    private readonly ILoggingAdapter log = Context.GetLogger();

    public BlobReceiver(PostgresBlobStore store, string temporaryFolder)
    {
        this.store = store;
        this.temporaryFolder = temporaryFolder;
        ReceiveAsync<ClusterProtocol.FindMissingBlobs>(async find => Sender.Tell(new ClusterProtocol.BlobsMissing(await store.MissingAsync(find.Hashes))));
        ReceiveAsync<ClusterProtocol.BlobChunk>(Chunk);
    }

    public static Props Props(PostgresBlobStore store, string temporaryFolder) => Akka.Actor.Props.Create(() => new BlobReceiver(store, temporaryFolder));

    private async Task Chunk(ClusterProtocol.BlobChunk chunk)
    {
        var sender = Sender;
        try
        {
            if (!uploads.TryGetValue(chunk.Hash, out var upload) || chunk.Offset == 0)
            {
                if (upload is not null)
                    await upload.DisposeAsync();
                Directory.CreateDirectory(temporaryFolder);
                uploads[chunk.Hash] = upload = new BlobUpload(chunk.Hash, chunk.Length, temporaryFolder);
            }
            await upload.AppendAsync(chunk.Offset, chunk.Data);
            if (!upload.IsComplete)
                return;
            uploads.Remove(chunk.Hash);
            await using (upload)
                await upload.CompleteAsync(store);
            sender.Tell(new ClusterProtocol.BlobStored(chunk.Hash, null));
        }
        catch (Exception e) when (e is IOException or InvalidDataException or ArgumentException or BlobHashMismatchException or Npgsql.NpgsqlException)
        {
            log.Warning("Blob {0} not stored: {1}", chunk.Hash, e.Message);
            if (uploads.Remove(chunk.Hash, out var failed))
                await failed.DisposeAsync();
            sender.Tell(new ClusterProtocol.BlobStored(chunk.Hash, e.Message));
        }
    }

    protected override void PostStop()
    {
        foreach (var upload in uploads.Values)
            _ = upload.DisposeAsync();
    }
}
