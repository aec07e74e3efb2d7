// The shared test infrastructure (PostgresServer; RepositoryRoot from OrderLib.TestSupport) is visible in every test file.
global using OrderLib.Tests.Infrastructure;
global using OrderLib.TestSupport;
