using Orleans.Flyte.Api;
using Orleans.Flyte.Silo;

var builder = WebApplication.CreateBuilder(args);
builder.AddOrleansFlyteSilo();
builder.Services.AddOrleansFlyteApi();

var app = builder.Build();
app.MapOrleansFlyteApi();
app.Run();

/// <summary>Entry point; public so tests can host it with <c>WebApplicationFactory&lt;Program&gt;</c>.</summary>
public partial class Program;
