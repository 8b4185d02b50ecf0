namespace Orleans.Flyte.Cli.Tests;

[Collection(SharedPlatform.Name)]
public sealed class RegisterTests(Platform platform) : PlatformTest(platform, "cli-register")
{
    private string CopyExamples()
    {
        var target = Path.Combine(Work, "examples");
        Directory.CreateDirectory(target);
        foreach (var file in Directory.GetFiles(Path.Combine(Cli.RepositoryRoot, "docs", "examples"), "*.yaml"))
        {
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        }

        return target;
    }

    [Fact]
    public async Task A_directory_registers_tasks_then_workflows_then_launch_plans_and_registering_it_again_changes_nothing()
    {
        await UseProject("cli-reg-order");
        CopyExamples();

        // Alphabetically the launch plan comes first and a workflow before one of its tasks: the order must come from the kinds.
        var first = await Cli.Run("register", "examples");

        first.ExitCode.Should().Be(0, first.ToString());
        Snapshot.Match("register-examples", first.Stdout);
        first.Stderr.Should().BeEmpty();

        var again = await Cli.Run("register", "examples");
        again.ExitCode.Should().Be(0, again.ToString());
        Snapshot.Match("register-examples-again", again.Stdout);

        var workflow = await Cli.Run("get", "workflow", "train-alpha@v3");
        workflow.ExitCode.Should().Be(0, workflow.ToString());
        workflow.Stdout.Should().Contain("prepare-data@v1 -> prepare-data@v1").And.Contain("train-model@v3 -> train-model@v3");
    }

    [Fact]
    public async Task The_same_version_with_other_content_is_a_conflict_that_shows_the_differences_and_exits_1()
    {
        await UseProject("cli-reg-conflict");
        var examples = CopyExamples();
        (await Cli.Run("register", "examples")).ExitCode.Should().Be(0);
        var changed = File.ReadAllText(Path.Combine(examples, "train-model.yaml")).Replace("memory: 32Gi", "memory: 64Gi", StringComparison.Ordinal);
        WriteFile("changed/train-model.yaml", changed);

        var conflict = await Cli.Run("register", "changed/train-model.yaml");

        conflict.ExitCode.Should().Be(1, conflict.ToString());
        Snapshot.Match("register-conflict.stdout", conflict.Stdout);
        Snapshot.Match("register-conflict.stderr", conflict.Stderr);
    }

    [Fact]
    public async Task An_invalid_spec_is_one_error_line_with_the_pointer_of_the_field()
    {
        await UseProject("cli-reg-invalid");
        WriteFile("bad.yaml", """
            name: bad-memory
            version: v1
            container: { image: local, command: [echo, hi] }
            resources: { memory: 32GB }
            """);

        var result = await Cli.Run("register", "bad.yaml");

        result.ExitCode.Should().Be(1, result.ToString());
        result.Stderr.Should().Be("error: bad.yaml (task bad-memory@v1): The task spec is not valid: /resources/memory: '32GB' is not a Kubernetes quantity; write e.g. 32Gi or 32G\n");
        result.Stdout.Should().Contain("invalid");
    }

    [Fact]
    public async Task A_file_that_is_no_spec_is_named_and_nothing_at_all_is_registered()
    {
        await UseProject("cli-reg-nospec");
        WriteFile("set/a-task.yaml", """
            name: fine-task
            version: v1
            container: { image: local, command: [echo, hi] }
            """);
        WriteFile("set/notes.yaml", "name: shopping-list\nitems: [milk]\n");

        var result = await Cli.Run("register", "set");

        result.ExitCode.Should().Be(1, result.ToString());
        result.Stderr.Should().Be($"error: {Path.Combine("set", "notes.yaml")}: is neither a task (has 'container'), a workflow (has 'nodes') nor a launch plan (has 'workflow'); nothing was registered\n");
        var tasks = await Cli.Run("get", "tasks");
        tasks.Stdout.Should().NotContain("fine-task", "a set with a bad file is refused before anything is sent");
    }

    [Fact]
    public async Task A_multi_document_file_registers_each_document_in_dependency_order()
    {
        await UseProject("cli-reg-multi");
        WriteFile("all.yaml", """
            # the workflow first, on purpose
            name: pair
            version: v1
            nodes: [ { id: one, task: solo@v1 } ]
            ---
            name: solo
            version: v1
            container: { image: local, command: [sh, -c, 'echo "{}" > "$FLYTE_OUTPUTS"'] }
            """);

        var result = await Cli.Run("register", "all.yaml");

        result.ExitCode.Should().Be(0, result.ToString());
        result.Stdout.Should().Be("""
            KIND      NAME  VERSION  RESULT   FILE
            task      solo  v1       created  all.yaml#2
            workflow  pair  v1       created  all.yaml#1

            """);
    }
}
