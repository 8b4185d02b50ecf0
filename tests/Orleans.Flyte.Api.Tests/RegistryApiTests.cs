using System.Net;
using System.Text.Json.Nodes;

namespace Orleans.Flyte.Api.Tests;

public sealed class RegistryApiTests : ApiTestBase
{
    private const string Tasks = "/api/v1/projects/quant/domains/development/tasks";
    private const string Workflows = "/api/v1/projects/quant/domains/development/workflows";

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        (await CreateProject("quant")).StatusCode.Should().Be(HttpStatusCode.Created);
    }

    [Fact]
    public async Task Registering_a_new_task_version_returns_201_with_its_location_and_normalized_spec()
    {
        var response = await Post(Tasks, Specs.TrainModel);

        response.StatusCode.Should().Be(HttpStatusCode.Created);
        response.Headers.Location!.ToString().Should().Be($"{Tasks}/train-model/versions/v3");
        var body = await Json(response);
        body["name"]!.GetValue<string>().Should().Be("train-model");
        body["registeredBy"]!.GetValue<string>().Should().Be("token:bootstrap-admin", "the factory's client sends the bootstrap token");
        body["spec"]!["resources"]!["gpu"]!["profile"]!.GetValue<string>().Should().Be("mig-5g.40gb");

        var fetched = await Get($"{Tasks}/train-model/versions/v3");
        fetched.StatusCode.Should().Be(HttpStatusCode.OK);
        (await Json(fetched))["contentHash"]!.GetValue<string>().Should().Be(body["contentHash"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_same_version_with_the_same_content_is_an_idempotent_success_even_as_json()
    {
        var created = await Json(await Post(Tasks, Specs.TrainModel));
        var events = await StoredEventCount();

        var again = await Post(Tasks, Specs.TrainModel);
        var asJson = await Post(Tasks, Specs.TrainModelJson, "application/json");

        again.StatusCode.Should().Be(HttpStatusCode.OK);
        asJson.StatusCode.Should().Be(HttpStatusCode.OK);
        (await Json(asJson))["contentHash"]!.GetValue<string>().Should().Be(created["contentHash"]!.GetValue<string>());
        (await StoredEventCount()).Should().Be(events, "an idempotent registration stores nothing new");
    }

    [Fact]
    public async Task The_same_version_with_different_content_is_a_409_that_shows_what_differs()
    {
        await Post(Tasks, Specs.TrainModel);

        var response = await Post(Tasks, Specs.TrainModel.Replace("memory: 32Gi", "memory: 64Gi", StringComparison.Ordinal));

        response.StatusCode.Should().Be(HttpStatusCode.Conflict);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        var problem = await Json(response);
        problem["status"]!.GetValue<int>().Should().Be(409);
        var difference = problem["differences"]!.AsArray().Should().ContainSingle().Subject!;
        difference["pointer"]!.GetValue<string>().Should().Be("/resources/memory");
        difference["existing"]!.GetValue<string>().Should().Contain("32Gi");
        difference["submitted"]!.GetValue<string>().Should().Contain("64Gi");
        (await Json(await Get($"{Tasks}/train-model/versions/v3")))["spec"]!["resources"]!["memory"]!.GetValue<string>()
            .Should().Be("32Gi", "the registered version is immutable");
    }

    [Fact]
    public async Task A_workflow_pins_the_exact_task_versions_it_resolved_at_registration()
    {
        await Post(Tasks, Specs.PrepareData);
        await Post(Tasks, Specs.TrainModel);

        var response = await Post(Workflows, Specs.TrainAlpha);

        response.StatusCode.Should().Be(HttpStatusCode.Created);
        var pins = (await Json(response))["pinnedTasks"]!.AsObject();
        pins["prepare-data@v1"]!.GetValue<string>().Should().Be("prepare-data@v1");
        pins["train-model"]!.GetValue<string>().Should().Be("train-model@v3");

        // A newer task version later does not move the registered workflow.
        await Post(Tasks, Specs.TrainModel.Replace("version: v3", "version: v4", StringComparison.Ordinal));
        var stored = await Json(await Get($"{Workflows}/train-alpha/versions/v3"));
        stored["pinnedTasks"]!["train-model"]!.GetValue<string>().Should().Be("train-model@v3");
    }

    [Fact]
    public async Task A_workflow_referring_to_an_unregistered_task_is_rejected_with_a_pointer_and_not_stored()
    {
        await Post(Tasks, Specs.PrepareData);
        var events = await StoredEventCount();

        var response = await Post(Workflows, Specs.TrainAlpha);

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        var problem = await Json(response);
        problem["errors"]!.AsObject().Should().ContainKey("/nodes/1/task");
        problem["errors"]!["/nodes/1/task"]![0]!.GetValue<string>().Should().Contain("train-model");
        (await StoredEventCount()).Should().Be(events);
        (await Get($"{Workflows}/train-alpha")).StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Listings_show_names_with_their_latest_version_and_every_version_per_name()
    {
        await Post(Tasks, Specs.TrainModel);
        await Post(Tasks, Specs.TrainModel.Replace("version: v3", "version: v4", StringComparison.Ordinal));
        await Post(Tasks, Specs.PrepareData);

        var names = (await Json(await Get(Tasks)))["items"]!.AsArray();
        var versions = (await Json(await Get($"{Tasks}/train-model")))["items"]!.AsArray();

        names.Select(n => n!["name"]!.GetValue<string>()).Should().Equal("prepare-data", "train-model");
        names[1]!["latestVersion"]!.GetValue<string>().Should().Be("v4");
        names[1]!["versions"]!.GetValue<int>().Should().Be(2);
        versions.Select(v => v!["version"]!.GetValue<string>()).Should().Equal("v3", "v4");
    }

    [Fact]
    public async Task Everything_registered_is_still_there_after_the_platform_restarts()
    {
        await Post(Tasks, Specs.PrepareData);
        await Post(Tasks, Specs.TrainModel);
        await Post(Workflows, Specs.TrainAlpha);

        await RestartPlatform();

        (await Get("/api/v1/projects/quant")).StatusCode.Should().Be(HttpStatusCode.OK);
        (await Get($"{Tasks}/train-model/versions/v3")).StatusCode.Should().Be(HttpStatusCode.OK);
        var workflow = await Json(await Get($"{Workflows}/train-alpha/versions/v3"));
        workflow["pinnedTasks"]!["train-model"]!.GetValue<string>().Should().Be("train-model@v3");
        (await Json(await Get(Workflows)))["items"]!.AsArray().Should().ContainSingle();
    }

    [Fact]
    public async Task Unknown_projects_and_domains_are_404_problems_that_say_what_exists()
    {
        var noProject = await Post("/api/v1/projects/nope/domains/development/tasks", Specs.TrainModel);
        var noDomain = await Post("/api/v1/projects/quant/domains/prod/tasks", Specs.TrainModel);

        noProject.StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await Json(noProject))["detail"]!.GetValue<string>().Should().Contain("POST /api/v1/projects");
        noDomain.StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await Json(noDomain))["detail"]!.GetValue<string>().Should().Contain("development, staging, production");
    }

    [Fact]
    public async Task A_body_that_is_not_yaml_or_json_is_415_and_an_oversized_one_is_413()
    {
        var xml = await Post(Tasks, "<task/>", "application/xml");
        var huge = await Post(Tasks, Specs.TrainModel + "\ndescription: \"" + new string('x', 300 * 1024) + "\"\n");

        xml.StatusCode.Should().Be(HttpStatusCode.UnsupportedMediaType);
        huge.StatusCode.Should().Be(HttpStatusCode.RequestEntityTooLarge);
        (await Json(huge))["detail"]!.GetValue<string>().Should().Contain("262144");
    }

    [Fact]
    public async Task Projects_are_created_once_and_listed()
    {
        var again = await CreateProject("quant");
        var invalid = await CreateProject("Quant_Research");

        again.StatusCode.Should().Be(HttpStatusCode.OK);
        invalid.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await Json(invalid))["errors"]!.AsObject().Should().ContainKey("/name");
        var list = (await Json(await Get("/api/v1/projects")))["items"]!.AsArray();
        list.Select(p => p!["name"]!.GetValue<string>()).Should().Equal("quant");
        list[0]!["domains"]!.AsArray().Select(d => d!.GetValue<string>()).Should().Equal("development", "staging", "production");
    }
}
