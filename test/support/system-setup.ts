// Servers are real in this tier: allow for a Temporal task or a PostgreSQL checkpoint taking a while.
jest.setTimeout(120_000);
