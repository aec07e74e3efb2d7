// The shared test infrastructure (PostgresServer, RepositoryRoot) is visible in every test file.
global using OrderLib.Tests.Infrastructure;
