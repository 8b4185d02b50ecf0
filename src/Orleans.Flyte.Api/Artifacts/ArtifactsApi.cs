using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Flyte.Abstractions.Artifacts;
using Orleans.Flyte.Api.Auth;
using Orleans.Flyte.Api.Http;
using Orleans.Flyte.Domain.Identity;
using Orleans.Flyte.Domain.Specs;

namespace Orleans.Flyte.Api.Artifacts;

/// <summary>A file stored by the platform, as a <c>file</c> input takes it: paste it into a submission's inputs as is.</summary>
public sealed record ArtifactResponse(string Uri, string Sha256, long Size, string? Format)
{
    public static ArtifactResponse Of(ArtifactReference reference)
    {
        ArgumentNullException.ThrowIfNull(reference);
        return new(reference.Uri, reference.Sha256, reference.Size, reference.Format);
    }
}

/// <summary>Putting bytes into the artifact store, so a workflow input typed <c>file</c> can name them.</summary>
public static class ArtifactsApi
{
    public const string OctetStream = "application/octet-stream";

    /// <summary>Mapped outside the request deadline: an upload takes as long as its bytes take to arrive, and it waits on
    /// no grain.</summary>
    public static IEndpointRouteBuilder MapArtifactsApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapDomainGroup("/artifacts").WithTags("Artifacts");
        group.MapPost("/", UploadArtifact).WithName(nameof(UploadArtifact)).Requires(Permission.Submit)
            .Accepts<Stream>(OctetStream, "*/*") // the body is the file, whatever it is labelled
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .WithSummary("Store the request body (raw bytes) in the artifact store under its SHA-256 and return the reference a file input takes; ?format=onnx types it as file<onnx>.");
        group.MapGet("/{sha256}", DownloadArtifact).WithName(nameof(DownloadArtifact)).Requires(Permission.Read)
            .Produces(StatusCodes.Status200OK, contentType: OctetStream)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("The bytes of a stored file that a run of this domain read or wrote (its SHA-256 is in the domain's events, e.g. in a run report); ranges supported.");
        return routes;
    }

    /// <summary>The store is cluster-wide and content-addressed, so knowing a hash must not be enough: a file is served
    /// to readers of a domain whose history names it, and to no one else (404, as for a file that does not exist).</summary>
    public static async Task<Results<PhysicalFileHttpResult, ProblemHttpResult>> DownloadArtifact(
        string project, string domain, string sha256, ArtifactStore store, IArtifactReferences references, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(references);
        var reference = ArtifactReference.IsSha256(sha256) ? new ArtifactReference(sha256, 0, IsDirectory: false) : null;
        if (reference is null || !store.Contains(reference) || !await references.IsNamedInAsync(project, domain, sha256, cancellationToken))
        {
            return Problems.NotFound(
                $"No file {sha256} that a run in {project}/{domain} read or wrote is in the artifact store (give the lower-case hex SHA-256 of a file, as the run's events show it).");
        }

        return TypedResults.PhysicalFile(store.PathOf(reference), OctetStream, fileDownloadName: sha256, enableRangeProcessing: true);
    }

    public static async Task<Results<Created<ArtifactResponse>, ValidationProblem, ProblemHttpResult>> UploadArtifact(
        string project, string domain, string? format, HttpContext http, ArtifactStore store, IOptions<ArtifactStoreOptions> options, ILoggerFactory logs)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logs);
        if (format is not null && !ArtifactFormats.IsKnown(format))
        {
            return Problems.InvalidSpec(
                [new SpecError("query/format", $"'{format}' is not an artifact format; use one of {string.Join(", ", ArtifactFormats.Known)}, or leave it out")],
                "The upload is not valid.");
        }

        var limit = Math.Min(options.Value.MaxUploadBytes, store.MaxArtifactBytes);
        if (http.Request.ContentLength > limit)
        {
            return TooLarge(http.Request.ContentLength.Value, limit);
        }

        // The server's own body limit (30 MB in Kestrel) gives way to the store's, which is counted while copying, so a
        // chunked body over it is refused with the same 413.
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodyLimit)
        {
            bodyLimit.MaxRequestBodySize = null;
        }

        ArtifactReference reference;
        try
        {
            reference = await store.PutStreamAsync(http.Request.Body, format, limit, http.RequestAborted);
        }
        catch (ArtifactTooLargeException)
        {
            return TooLarge(null, limit);
        }

        logs.CreateLogger(typeof(ArtifactsApi)).LogInformation(
            "Artifact {Uri} ({Size} bytes) uploaded to {Project}/{Domain} by {Principal}", reference.Uri, reference.Size, project, domain, http.User.Identity?.Name);
        return TypedResults.Created((string?)null, ArtifactResponse.Of(reference));
    }

    private static ProblemHttpResult TooLarge(long? size, long limit) => Problems.TooLarge(
        $"{(size is { } s ? $"The upload is {s} bytes" : "The upload is larger than that")}; one upload may hold at most {limit} bytes (Flyte:Artifacts:MaxUploadBytes).");
}
