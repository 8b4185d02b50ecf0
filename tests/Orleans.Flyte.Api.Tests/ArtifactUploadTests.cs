using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Orleans.Flyte.Api.Tests;

/// <summary>A file given as an execution input: uploaded over HTTP into the artifact store, then named by its reference
/// in a submission and read by the task.</summary>
public sealed class ArtifactUploadTests : ExecutionTestBase
{
    private const int Limit = 4096;

    private const string Consume = """printf '{"digest":"%s","text":"%s"}' "$(sha256sum < "$FLYTE_INPUT_MODEL" | cut -d' ' -f1)" "$(cat "$FLYTE_INPUT_MODEL")" > "$FLYTE_OUTPUTS" """;

    protected override IReadOnlyDictionary<string, string>? Settings => new Dictionary<string, string>
    {
        ["Flyte:Artifacts:MaxUploadBytes"] = Limit.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await RegisterTask("consume", Consume, "{ model: file<onnx> }", "{ digest: string, text: string }");
        await RegisterWorkflow("""
            name: evaluate
            version: v1
            inputs: { model: file<onnx> }
            nodes:
              - id: consume
                task: consume@v1
                inputs: { model: "{{ inputs.model }}" }
            outputs: { digest: "{{ nodes.consume.outputs.digest }}", text: "{{ nodes.consume.outputs.text }}" }
            """);
    }

    private Task<HttpResponseMessage> Upload(byte[] bytes, string query = "?format=onnx")
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return Http.PostAsync(new Uri($"{Scope}/artifacts{query}", UriKind.Relative), content);
    }

    private string[] StoredFiles => Directory.Exists(Path.Combine(Factory.ArtifactRoot, "files")) ? Directory.GetFiles(Path.Combine(Factory.ArtifactRoot, "files")) : [];

    [Fact]
    public async Task An_uploaded_file_is_stored_by_hash_and_its_reference_runs_as_a_file_input()
    {
        var bytes = Encoding.UTF8.GetBytes("uploaded-weights");
        var hash = Convert.ToHexStringLower(SHA256.HashData(bytes));

        var response = await Upload(bytes);

        response.StatusCode.Should().Be(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        var reference = await Json(response);
        reference.ToJsonString().Should().Be($$"""{"uri":"artifact://files/{{hash}}","sha256":"{{hash}}","size":{{bytes.Length}},"format":"onnx"}""");
        File.ReadAllBytes(Path.Combine(Factory.ArtifactRoot, "files", hash)).Should().Equal(bytes);
        (await Upload(bytes)).StatusCode.Should().Be(HttpStatusCode.Created, "the same bytes again are the same artifact");
        StoredFiles.Should().ContainSingle();

        var id = await Submit("evaluate@v1", new { model = reference });
        var done = await WaitForEnd(id);

        done["phase"]!.GetValue<string>().Should().Be("Succeeded", done.ToJsonString());
        done["outputs"]!["digest"]!.GetValue<string>().Should().Be(hash, "the task read exactly the uploaded bytes");
        done["outputs"]!["text"]!.GetValue<string>().Should().Be("uploaded-weights");
        var timeline = (await Json(await Get($"{Scope}/executions/{id}/events")))["items"]!.AsArray();
        timeline.Single(e => e!["type"]!.GetValue<string>() == "ExecutionAccepted")!.ToJsonString().Should().Contain(hash, "audit shows which bytes the run was given");

        var download = await Get($"{Scope}/artifacts/{hash}");
        download.StatusCode.Should().Be(HttpStatusCode.OK);
        download.Content.Headers.ContentType!.MediaType.Should().Be("application/octet-stream");
        (await download.Content.ReadAsByteArrayAsync()).Should().Equal(bytes, "a reader of the domain gets the bytes its run read");
    }

    [Fact]
    public async Task A_file_is_downloadable_only_in_a_domain_whose_history_names_it()
    {
        var bytes = Encoding.UTF8.GetBytes("shared weights");
        var hash = (await Json(await Upload(bytes)))["sha256"]!.GetValue<string>();

        (await Get($"{Scope}/artifacts/{hash}")).StatusCode.Should().Be(HttpStatusCode.NotFound, "no run of the domain used it yet");
        var done = await WaitForEnd(await Submit("evaluate@v1", new { model = new { uri = $"artifact://files/{hash}", sha256 = hash, size = bytes.Length, format = "onnx" } }));
        done["phase"]!.GetValue<string>().Should().Be("Succeeded", done.ToJsonString());

        (await Get($"{Scope}/artifacts/{hash}")).StatusCode.Should().Be(HttpStatusCode.OK);
        var elsewhere = await Get($"/api/v1/projects/lab/domains/production/artifacts/{hash}");
        elsewhere.StatusCode.Should().Be(HttpStatusCode.NotFound, "knowing the hash is not enough: production's history does not name it");
        elsewhere.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        (await Get($"{Scope}/artifacts/not-a-hash")).StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task An_upload_over_the_limit_is_a_413_and_nothing_is_stored()
    {
        var response = await Upload(new byte[Limit + 1]);

        response.StatusCode.Should().Be(HttpStatusCode.RequestEntityTooLarge);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        (await Json(response))["detail"]!.GetValue<string>().Should().Contain($"at most {Limit} bytes").And.Contain("Flyte:Artifacts:MaxUploadBytes");
        StoredFiles.Should().BeEmpty();

        // Without a Content-Length (chunked), the limit is counted while the bytes arrive.
        var chunked = new StreamContent(new MemoryStream(new byte[Limit * 3]));
        chunked.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{Scope}/artifacts") { Content = chunked };
        request.Headers.TransferEncodingChunked = true;
        var streamed = await Http.SendAsync(request);
        streamed.StatusCode.Should().Be(HttpStatusCode.RequestEntityTooLarge, await streamed.Content.ReadAsStringAsync());
        StoredFiles.Should().BeEmpty();
        Directory.GetFileSystemEntries(Path.Combine(Factory.ArtifactRoot, "incoming")).Should().BeEmpty("the partial copy is removed");
    }

    [Fact]
    public async Task An_unknown_format_is_a_400_that_points_at_it()
    {
        var response = await Upload([1, 2, 3], "?format=onxx");

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await Json(response))["errors"]!.AsObject().Should().ContainKey("query/format");
        StoredFiles.Should().BeEmpty();
    }

    [Fact]
    public async Task A_submission_naming_bytes_the_store_does_not_have_is_a_400_naming_the_input_and_nothing_is_stored()
    {
        var missing = new string('a', 64);
        var events = await StoredEventCount();

        var response = await Http.PostAsJsonAsync(new Uri($"{Scope}/executions", UriKind.Relative), new
        {
            workflow = "evaluate@v1",
            inputs = new { model = new { uri = $"artifact://files/{missing}", sha256 = missing, size = 3, format = "onnx" } },
        });

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        var errors = (await Json(response))["errors"]!.AsObject();
        errors.Should().ContainKey("/inputs/model");
        errors["/inputs/model"]![0]!.GetValue<string>().Should().Contain($"artifact://files/{missing} is not in the artifact store");
        (await StoredEventCount()).Should().Be(events);
    }
}
