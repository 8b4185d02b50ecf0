using System.Net;

namespace Orleans.Flyte.Api.Tests;

/// <summary>Every validation rule, through HTTP: 400 problem details pointing at the field, and nothing stored.</summary>
public sealed class InvalidSpecApiTests : ApiTestBase
{
    private const string Tasks = "/api/v1/projects/quant/domains/development/tasks";
    private const string Workflows = "/api/v1/projects/quant/domains/development/workflows";

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await CreateProject("quant");
        (await Post(Tasks, Specs.PrepareData)).StatusCode.Should().Be(HttpStatusCode.Created);
        (await Post(Tasks, Specs.TrainModel)).StatusCode.Should().Be(HttpStatusCode.Created);
    }

    public static TheoryData<string, string, string, string> InvalidTasks() => new()
    {
        { "name not DNS-1123", "name: train-model", "name: Train_Model", "/name" },
        { "memory not a quantity", "memory: 32Gi", "memory: 32GB", "/resources/memory" },
        { "cpu not a quantity", "cpu: \"4\"", "cpu: four", "/resources/cpu" },
        { "malformed MIG profile", "profile: mig-5g.40gb", "profile: 5g", "/resources/gpu/profile" },
        { "GPU count zero", "count: 1 }", "count: 0 }", "/resources/gpu/count" },
        { "retries out of range", "retries: 2", "retries: 50", "/retries" },
        { "timeout unreadable", "timeout: 2h", "timeout: forever", "/timeout" },
        { "timeout out of range", "timeout: 2h", "timeout: 30d", "/timeout" },
        { "missing image", "image: registry.local/ml/train:1.4, ", "", "/container/image" },
        { "unknown field", "retries: 2", "resourses: {}\nretries: 2", "/resourses" },
        { "reserved env var", "SEED: \"7\"", "FLYTE_INPUTS: x", "/container/env/FLYTE_INPUTS" },
        { "unknown artifact format", "epochs: int", "epochs: int, model: file<onxx>", "/inputs/model" },
        { "unknown artifact format, long form", "epochs: int", "epochs: int, model: { type: \"directory<nope>\" }", "/inputs/model/type" },
        { "files in a map, where no runner places them", "epochs: int", "epochs: int, shards: map<file>", "/inputs/shards" },
        { "files in a list of lists", "epochs: int", "epochs: int, shards: list<list<file>>", "/inputs/shards" },
    };

    [Theory]
    [MemberData(nameof(InvalidTasks))]
    public async Task An_invalid_task_is_rejected_with_a_pointer_and_not_stored(string rule, string find, string replace, string pointer)
    {
        var spec = Specs.TrainModel.Replace(find, replace, StringComparison.Ordinal).Replace("version: v3", "version: v9", StringComparison.Ordinal);
        spec.Should().NotBe(Specs.TrainModel, rule);
        var events = await StoredEventCount();

        var response = await Post(Tasks, spec);

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest, rule);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        (await Json(response))["errors"]!.AsObject().Should().ContainKey(pointer, rule);
        (await StoredEventCount()).Should().Be(events, $"nothing is stored for a spec rejected because of: {rule}");
    }

    public static TheoryData<string, string, string, string> InvalidWorkflows() => new()
    {
        { "unknown workflow input", "{{ inputs.start_date }}", "{{ inputs.nope }}", "/nodes/0/inputs/date" },
        { "unknown upstream output", "{{ nodes.prepare.outputs.path }}", "{{ nodes.prepare.outputs.nope }}", "/nodes/1/inputs/dataset" },
        { "unknown upstream node", "{{ nodes.prepare.outputs.path }}", "{{ nodes.ghost.outputs.path }}", "/nodes/1/inputs/dataset" },
        { "type mismatch", "epochs: \"{{ inputs.epochs }}\"", "epochs: \"{{ inputs.start_date }}\"", "/nodes/1/inputs/epochs" },
        { "literal of the wrong type", "epochs: \"{{ inputs.epochs }}\"", "epochs: many", "/nodes/1/inputs/epochs" },
        { "missing required input", ", epochs: \"{{ inputs.epochs }}\"", "", "/nodes/1/inputs" },
        { "input the task does not have", "epochs: \"{{ inputs.epochs }}\"", "epochs: \"{{ inputs.epochs }}\", lr: 0.1", "/nodes/1/inputs/lr" },
        { "unknown task version", "task: prepare-data@v1", "task: prepare-data@v7", "/nodes/0/task" },
        { "malformed binding", "{{ nodes.prepare.outputs.path }}", "{{ nodes.prepare.path }}", "/nodes/1/inputs/dataset" },
        { "node id not DNS-1123", "id: prepare\n", "id: Prepare_Data\n", "/nodes/0/id" },
        { "map over a non-list input", "inputs: { date: \"{{ inputs.start_date }}\" }", "map: { over: \"{{ inputs.start_date }}\", input: date }", "/nodes/0/map/over" },
        { "map over a non-list literal", "inputs: { date: \"{{ inputs.start_date }}\" }", "map: { over: 7, input: date }", "/nodes/0/map/over" },
        { "map over a list of the wrong type", "inputs: { date: \"{{ inputs.start_date }}\" }", "map: { over: [1, 2], input: date }", "/nodes/0/map/over" },
        { "map concurrency out of range", "inputs: { date: \"{{ inputs.start_date }}\" }", "map: { over: [a], input: date, concurrency: 0 }", "/nodes/0/map/concurrency" },
    };

    [Theory]
    [MemberData(nameof(InvalidWorkflows))]
    public async Task An_invalid_workflow_is_rejected_with_a_pointer_and_not_stored(string rule, string find, string replace, string pointer)
    {
        var spec = Specs.TrainAlpha.Replace(find, replace, StringComparison.Ordinal);
        spec.Should().NotBe(Specs.TrainAlpha, rule);
        var events = await StoredEventCount();

        var response = await Post(Workflows, spec);

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest, rule);
        (await Json(response))["errors"]!.AsObject().Should().ContainKey(pointer, rule);
        (await StoredEventCount()).Should().Be(events, $"nothing is stored for a spec rejected because of: {rule}");
    }

    [Fact]
    public async Task A_cycle_is_rejected_with_the_path_that_closes_it()
    {
        const string cyclic = """
            name: loop
            version: v1
            inputs: { start_date: string }
            nodes:
              - id: a
                task: prepare-data@v1
                inputs: { date: "{{ nodes.b.outputs.path }}" }
              - id: b
                task: prepare-data@v1
                inputs: { date: "{{ nodes.a.outputs.path }}" }
            """;
        var events = await StoredEventCount();

        var response = await Post(Workflows, cyclic);

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        var problem = await Json(response);
        problem["detail"]!.GetValue<string>().Should().MatchRegex("(a -> b -> a|b -> a -> b)");
        problem["errors"]!.AsObject().Select(e => e.Key).Should().Contain(k => k.StartsWith("/nodes/", StringComparison.Ordinal));
        (await StoredEventCount()).Should().Be(events);
    }

    [Fact]
    public async Task A_yaml_syntax_error_says_where_it_is()
    {
        var response = await Post(Tasks, "name: x\ncontainer: { image: [unclosed\n");

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await Json(response))["detail"]!.GetValue<string>().Should().MatchRegex("(?i)line \\d+");
    }
}
