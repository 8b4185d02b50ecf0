# The silo image: build with the SDK, run on the ASP.NET runtime as a non-root user.
#   docker build -f docker/silo.Dockerfile -t registry.local/orleans-flyte/silo:0.1.0 .
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY Directory.Build.props Directory.Packages.props Orleans.Flyte.sln .editorconfig ./
COPY src/ src/
COPY silo/ silo/
RUN dotnet publish silo/Orleans.Flyte.Silo/Orleans.Flyte.Silo.csproj -c Release -o /app --nologo

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app ./
ENV ASPNETCORE_URLS=http://+:8080 \
    DOTNET_gcServer=1
EXPOSE 8080 11111 30000
USER app
ENTRYPOINT ["dotnet", "Orleans.Flyte.Silo.dll"]
