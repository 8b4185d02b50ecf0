using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Orleans.Flyte.Api.Tests;

/// <summary>
/// Every route about a project answers for an unknown project or domain before its handler runs. The routes are read
/// from the running host's <see cref="EndpointDataSource"/>, so a route added without the scope filter fails here.
/// </summary>
public sealed partial class ProjectScopeTests : ApiTestBase
{
    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        (await CreateProject("lab")).EnsureSuccessStatusCode();
    }

    [Fact]
    public async Task Every_project_route_answers_404_problem_details_for_an_unknown_project_and_stores_nothing()
    {
        var routes = ScopedRoutes(withDomain: false);
        var before = await StoredEventCount();

        foreach (var (method, pattern) in routes)
        {
            using var response = await Send(method, Path(pattern, project: "no-such-project", domain: "development"));

            var body = await response.Content.ReadAsStringAsync();
            response.StatusCode.Should().Be(HttpStatusCode.NotFound, $"{method} {pattern}: {body}");
            response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json", $"{method} {pattern}");
            (await Json(response))["detail"]!.GetValue<string>().Should().StartWith("Project 'no-such-project' does not exist.", $"{method} {pattern}");
        }

        routes.Should().HaveCountGreaterThanOrEqualTo(32, "every project and domain route is covered");
        (await StoredEventCount()).Should().Be(before, "no handler ran");
    }

    [Fact]
    public async Task Every_domain_route_answers_404_problem_details_naming_the_domains_for_an_unknown_domain()
    {
        var routes = ScopedRoutes(withDomain: true);
        var before = await StoredEventCount();

        foreach (var (method, pattern) in routes)
        {
            using var response = await Send(method, Path(pattern, project: "lab", domain: "prod"));

            var body = await response.Content.ReadAsStringAsync();
            response.StatusCode.Should().Be(HttpStatusCode.NotFound, $"{method} {pattern}: {body}");
            response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json", $"{method} {pattern}");
            (await Json(response))["detail"]!.GetValue<string>().Should().Be(
                "Domain 'prod' does not exist. Domains are: development, staging, production.", $"{method} {pattern}");
        }

        routes.Should().HaveCountGreaterThanOrEqualTo(30);
        (await StoredEventCount()).Should().Be(before, "no handler ran");
    }

    [Fact]
    public async Task A_known_project_and_domain_reach_the_handler()
    {
        var project = await Json(await Get("/api/v1/projects/lab"));
        var tasks = await Get("/api/v1/projects/lab/domains/staging/tasks");

        project["name"]!.GetValue<string>().Should().Be("lab");
        tasks.StatusCode.Should().Be(HttpStatusCode.OK);
        (await Json(tasks))["items"]!.AsArray().Should().BeEmpty();
    }

    /// <summary>(method, route pattern) of every endpoint whose route names a project (and, if asked, a domain).</summary>
    private List<(string Method, string Pattern)> ScopedRoutes(bool withDomain) =>
        [.. Factory.Services.GetRequiredService<EndpointDataSource>().Endpoints
            .OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.GetParameter("project") is not null && (!withDomain || e.RoutePattern.GetParameter("domain") is not null))
            .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["GET"]).Select(m => (m, e.RoutePattern.RawText!)))];

    /// <summary>The pattern with its parameters filled in: an int where the route asks for one, a plain name elsewhere.</summary>
    private static string Path(string pattern, string project, string domain) => RouteParameter().Replace(pattern, m => m.Groups["name"].Value switch
    {
        "project" => project,
        "domain" => domain,
        _ when m.Groups["constraint"].Value == "int" => "1",
        _ => "x",
    });

    private Task<HttpResponseMessage> Send(string method, string path)
    {
        var request = new HttpRequestMessage(new HttpMethod(method), new Uri(path, UriKind.Relative));
        if (method is "POST" or "PUT")
        {
            // A well-formed body, so the request reaches the filter instead of failing to bind.
            request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
        }

        return Http.SendAsync(request);
    }

    [GeneratedRegex(@"\{(?<name>[a-zA-Z]+)(:(?<constraint>[a-z]+))?\}")]
    private static partial Regex RouteParameter();
}
