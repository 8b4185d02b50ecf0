using Orleans.Flyte.Cli;

return await CliApp.RunAsync(args);
