using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Orleans.Flyte.Cli.Configuration;

namespace Orleans.Flyte.Cli.Http;

/// <summary>An answer from the API: its status and its JSON body (null when it had none or it was not JSON).</summary>
public sealed record ApiResponse(HttpStatusCode Status, JsonNode? Body, string? MediaType)
{
    public bool IsSuccess => (int)Status is >= 200 and < 300;
}

/// <summary>
/// The only way the CLI talks to the platform: HTTP with JSON (specs go as YAML or JSON, as written). Sends the
/// bearer token whenever one is configured; turns problem details and network failures into <see cref="CliException"/>s
/// that say what to do.
/// </summary>
public sealed class FlyteApi : IDisposable
{
    public const int MaxResponseBytes = 64 * 1024 * 1024;

    /// <summary>How many times a submission the server was too busy to queue is sent again (each after the Retry-After
    /// the server gave, at most <see cref="MaxBusyWait"/>).</summary>
    public const int MaxBusyRetries = 5;

    public static readonly TimeSpan MaxBusyWait = TimeSpan.FromMinutes(1);

    private readonly HttpClient _http;
    private readonly CliSettings _settings;
    private readonly string _base;
    private readonly TextWriter? _notices;

    /// <param name="notices">Where a retry is announced (the terminal's error stream); nowhere when null.</param>
    public FlyteApi(CliSettings settings, TimeSpan requestTimeout, TextWriter? notices = null)
    {
        _settings = settings;
        _notices = notices;
        var url = settings.Url.Value ?? CliSettings.DefaultUrl;
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw CliException.Usage($"'{url}' (from {settings.Url.Source}) is not an http:// or https:// URL of the Orleans.Flyte API");
        }

        _base = uri.GetLeftPart(UriPartial.Path).TrimEnd('/');
        _http = new HttpClient { Timeout = requestTimeout, MaxResponseContentBufferSize = MaxResponseBytes };
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("orleans-flyte", typeof(FlyteApi).Assembly.GetName().Version?.ToString(3) ?? "0"));
        _http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (settings.Token.Value is { } token)
        {
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
    }

    public string BaseUrl => _base;

    public CliSettings Settings => _settings;

    public async Task<JsonNode> Get(string path, CancellationToken cancellationToken) =>
        Body(Ensure(await Send(HttpMethod.Get, path, null, null, cancellationToken)), path);

    public async Task<JsonNode> Post(string path, JsonNode? body, CancellationToken cancellationToken, IReadOnlyDictionary<string, string>? headers = null) =>
        Body(Ensure(await Send(HttpMethod.Post, path, Json(body ?? new JsonObject()), headers, cancellationToken)), path);

    public async Task<JsonNode> Put(string path, JsonNode body, CancellationToken cancellationToken) =>
        Body(Ensure(await Send(HttpMethod.Put, path, Json(body), null, cancellationToken)), path);

    public async Task Delete(string path, CancellationToken cancellationToken) =>
        Ensure(await Send(HttpMethod.Delete, path, null, null, cancellationToken));

    /// <summary>Sends and returns whatever the API answered; only failures to get an answer (and 401/403) throw.</summary>
    /// <remarks>
    /// A 429 whose problem says when to come back (<c>retryAfterSeconds</c>: a submission the server was too busy to
    /// queue, which it did not store) is sent again after that long, at most <see cref="MaxBusyRetries"/> times, each
    /// announced on <c>notices</c>; any other answer, and a body that cannot be sent twice, is returned as it came.
    /// </remarks>
    public async Task<ApiResponse> Send(HttpMethod method, string path, HttpContent? content, IReadOnlyDictionary<string, string>? headers, CancellationToken cancellationToken)
    {
        var url = _base + path;
        for (var retry = 0; ; retry++)
        {
            // Disposing a request disposes its content: only the last one may go, so a retry can send the same body.
            var request = new HttpRequestMessage(method, url) { Content = content };
            foreach (var (name, value) in headers ?? new Dictionary<string, string>())
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }

            using var response = await Exchange(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
            var answer = await Answer(response, url, cancellationToken);
            if (retry < MaxBusyRetries && content is null or ByteArrayContent && BusyFor(response, answer) is { } wait)
            {
                _notices?.WriteLine($"The server is busy: {ProblemText.OneLine(answer)} Sending it again in {wait.TotalSeconds:0} s ({retry + 1} of {MaxBusyRetries}).");
                await Task.Delay(wait, cancellationToken);
                continue;
            }

            request.Dispose();
            return answer;
        }
    }

    /// <summary>How long the server asked us to wait before sending a refused submission again; null when it is not
    /// such an answer (another 429 says nothing of the kind) or asks for longer than <see cref="MaxBusyWait"/>.</summary>
    private static TimeSpan? BusyFor(HttpResponseMessage response, ApiResponse answer)
    {
        if (answer.Status != HttpStatusCode.TooManyRequests || answer.Body?["retryAfterSeconds"] is null)
        {
            return null;
        }

        var wait = response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1);
        return wait <= MaxBusyWait ? (wait < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : wait) : null;
    }

    /// <summary>
    /// A streamed answer (an NDJSON export) copied to <paramref name="output"/> line by line as it arrives, so any range
    /// goes through in constant memory. A refusal is read whole and becomes the API's problem as one line.
    /// </summary>
    public async Task StreamLines(string path, string accept, TextWriter output, CancellationToken cancellationToken)
    {
        var url = _base + path;
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Accept.Clear();
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(accept));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/problem+json"));
        using var response = await Exchange(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            Ensure(await Answer(response, url, cancellationToken), path);
        }

        try
        {
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken), Encoding.UTF8);
            while (await reader.ReadLineAsync(cancellationToken) is { } line)
            {
                await output.WriteLineAsync(line);
            }
        }
        catch (HttpRequestException e)
        {
            throw Unreachable(url, Cause(e), e);
        }

        await output.FlushAsync(cancellationToken);
    }

    /// <summary>Sends the request; a failure to get an answer becomes a <see cref="CliException"/> that says what to do.</summary>
    private async Task<HttpResponseMessage> Exchange(HttpRequestMessage request, HttpCompletionOption completion, CancellationToken cancellationToken)
    {
        var url = request.RequestUri!.ToString();
        try
        {
            return await _http.SendAsync(request, completion, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw Unreachable(url, Cause(e), e);
        }
        catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw Unreachable(url, $"no answer within {_http.Timeout.TotalSeconds:0} s", e);
        }
    }

    /// <summary>The answer read whole, its body parsed when it is JSON; 401/403 throw, saying how to set a token.</summary>
    private async Task<ApiResponse> Answer(HttpResponseMessage response, string url, CancellationToken cancellationToken)
    {
        var mediaType = response.Content.Headers.ContentType?.MediaType;
        JsonNode? body = null;
        string text;
        try
        {
            text = await response.Content.ReadAsStringAsync(cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw Unreachable(url, Cause(e), e);
        }

        if (text.Length > 0 && mediaType is not null && mediaType.Contains("json", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                body = JsonNode.Parse(text);
            }
            catch (System.Text.Json.JsonException)
            {
                body = null;
            }
        }

        var answer = new ApiResponse(response.StatusCode, body, mediaType);
        if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
        {
            throw ProblemText.Unauthorized(answer, _settings);
        }

        return answer;
    }

    /// <summary>A 2xx answer passes; anything else becomes the API's problem as one line.</summary>
    public static ApiResponse Ensure(ApiResponse response, string? context = null) =>
        response.IsSuccess ? response : throw ProblemText.ToException(response, context);

    /// <summary>Every answer these calls read is a JSON document; anything else (a proxy's HTML page) is said plainly.</summary>
    private JsonNode Body(ApiResponse response, string path) => response.Body ?? throw new CliException(
        $"{_base}{path} answered HTTP {(int)response.Status} without a JSON body ({response.MediaType ?? "no content type"}); is --url the Orleans.Flyte API?");

    public static StringContent Json(JsonNode body) =>
        new(body.ToJsonString(), Encoding.UTF8, "application/json");

    public void Dispose() => _http.Dispose();

    private CliException Unreachable(string url, string cause, Exception inner) => new(
        $"cannot reach the Orleans.Flyte API at {_base} ({cause}). The URL comes from {_settings.Url.Source}; " +
        $"set another with --url, {CliSettings.UrlVariable}, or 'orleans-flyte config set url URL'.",
        ExitCodes.Unreachable,
        innerException: inner);

    private static string Cause(HttpRequestException e)
    {
        for (Exception? inner = e; inner is not null; inner = inner.InnerException)
        {
            if (inner is SocketException socket)
            {
                return socket.SocketErrorCode switch
                {
                    SocketError.ConnectionRefused => "connection refused: is the platform running?",
                    SocketError.HostNotFound or SocketError.NoData => "unknown host",
                    SocketError.TimedOut => "connection timed out",
                    SocketError.NetworkUnreachable or SocketError.HostUnreachable => "network unreachable",
                    _ => socket.Message,
                };
            }
        }

        return e.HttpRequestError switch
        {
            HttpRequestError.NameResolutionError => "unknown host",
            HttpRequestError.ConnectionError => "connection failed",
            HttpRequestError.SecureConnectionError => "TLS handshake failed",
            HttpRequestError.ResponseEnded => "the connection closed before an answer",
            _ => e.Message,
        };
    }
}
